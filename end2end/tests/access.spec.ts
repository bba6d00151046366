import { expect, test } from '@playwright/test';
import {
  DEMO_ADMIN,
  loginViaForm,
  navbar,
  registerViaForm,
  NEW_USER_PASSWORD,
  uniqueUsername,
  waitForHydration,
} from './helpers';

test.describe('admin access', () => {
  test('anonymous visitors get 401 and the access-denied page', async ({ page }) => {
    const response = await page.goto('/admin/users');
    expect(response?.status()).toBe(401);
    await waitForHydration(page);
    await expect(page.getByTestId('forbidden')).toContainText('Access denied');
    await expect(page.getByTestId('users-table')).toHaveCount(0);
  });

  test('a customer gets 403 and the access-denied page', async ({ page }) => {
    const username = uniqueUsername('cust');
    await registerViaForm(page, username);
    await loginViaForm(page, username, NEW_USER_PASSWORD);
    await expect(navbar(page).getByRole('link', { name: 'Users', exact: true })).toHaveCount(0);

    const response = await page.goto('/admin/users');
    expect(response?.status()).toBe(403);
    await waitForHydration(page);
    await expect(page.getByTestId('forbidden')).toBeVisible();
    await expect(page.getByTestId('forbidden')).toContainText('Access denied');
    await expect(page.getByTestId('users-table')).toHaveCount(0);
  });

  test('the demo admin sees the users table', async ({ page }) => {
    await loginViaForm(page, DEMO_ADMIN.username, DEMO_ADMIN.password);

    const response = await page.goto('/admin/users');
    expect(response?.status()).toBe(200);
    await waitForHydration(page);
    await expect(page.getByTestId('forbidden')).toHaveCount(0);
    const table = page.getByTestId('users-table');
    await expect(table).toBeVisible();
    const alice = table.locator('tbody tr[data-username="alice"]');
    await expect(alice).toHaveCount(1);
    await expect(alice.locator('td').first()).toHaveText('alice');
    await expect(table.locator('tbody tr[data-username="demo_admin"]')).toHaveCount(1);
  });
});
