import { expect, test } from '@playwright/test';
import { waitForHydration } from './helpers';

test.describe('storefront', () => {
  test('is server-rendered with the products before any JavaScript runs', async ({ request }) => {
    const response = await request.get('/');
    expect(response.status()).toBe(200);
    expect(response.headers()['content-type']).toContain('text/html');
    const html = await response.text();
    expect(html).toContain('Laptop');
    expect(html).toContain('Mouse');
    expect(html).toContain('data-testid="product-grid"');
    expect(html).toContain('data-hydrated="false"');
  });

  test('filters product cards on the client after hydration', async ({ page }) => {
    await page.goto('/');
    await waitForHydration(page);

    const cards = page.getByTestId('product-grid').getByTestId('product-card');
    await expect(cards.filter({ hasText: 'Laptop' })).toHaveCount(1);
    const total = await cards.count();
    expect(total).toBeGreaterThanOrEqual(7);

    const filter = page.getByTestId('product-filter');
    await filter.fill('mouse');
    await expect(cards).toHaveCount(1);
    await expect(cards.first()).toBeVisible();
    await expect(cards.first().getByRole('heading')).toHaveText('Mouse');
    await expect(page.getByTestId('no-products')).toHaveCount(0);

    await filter.fill('zzz');
    await expect(cards).toHaveCount(0);
    await expect(page.getByTestId('no-products')).toBeVisible();
    await expect(page.getByTestId('no-products')).toHaveText('No products match your filter.');

    await filter.fill('');
    await expect(cards).toHaveCount(total);
    await expect(page.getByTestId('no-products')).toHaveCount(0);
  });
});
