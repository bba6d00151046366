import { expect, test } from '@playwright/test';
import { waitForHydration } from './helpers';

test.describe('error pages', () => {
  test('an unknown path is a 404 page showing the request id', async ({ page }) => {
    const response = await page.goto('/no-such-page');
    expect(response).not.toBeNull();
    expect(response!.status()).toBe(404);
    const requestId = response!.headers()['x-request-id'];
    expect(requestId, 'x-request-id response header').toBeTruthy();

    await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
    await expect(page.getByTestId('request-id')).toHaveText(requestId);

    // Hydration keeps the server's value rather than fetching a new one.
    await waitForHydration(page);
    await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
    await expect(page.getByTestId('request-id')).toHaveText(requestId);
  });

  test('a caller-supplied X-Request-ID is echoed in the header and the page', async ({ request }) => {
    const id = `e2e-${Date.now()}`;
    const response = await request.get('/no-such-page', { headers: { 'X-Request-ID': id } });
    expect(response.status()).toBe(404);
    expect(response.headers()['x-request-id']).toBe(id);
    const html = await response.text();
    expect(html).toContain('Page not found');
    expect(html).toContain(id);
  });
});
