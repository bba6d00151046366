import { expect, test } from '@playwright/test';
import {
  DEMO_CUSTOMER,
  NEW_USER_PASSWORD,
  loginViaForm,
  navbar,
  registerViaForm,
  signedInUsername,
  submitLogin,
  uniqueUsername,
  waitForHydration,
} from './helpers';

test.describe('accounts', () => {
  test('register, log in, stay signed in across a reload, log out', async ({ page }) => {
    const username = uniqueUsername();

    await registerViaForm(page, username);
    await loginViaForm(page, username, NEW_USER_PASSWORD);
    await expect(navbar(page).getByRole('button', { name: 'Log out', exact: true })).toBeVisible();
    await expect(navbar(page).getByRole('link', { name: 'Log in', exact: true })).toHaveCount(0);

    // The session lives on the server: a full reload renders the user again...
    await page.reload();
    await waitForHydration(page);
    await expect(signedInUsername(page)).toHaveText(username);
    // ...and so does the raw server HTML fetched with the same cookies.
    const html = await (await page.request.get('/')).text();
    expect(html).toContain('data-testid="username"');
    expect(html).toContain(username);

    await navbar(page).getByRole('button', { name: 'Log out', exact: true }).click();
    await expect(navbar(page).getByRole('link', { name: 'Log in', exact: true })).toBeVisible();
    await expect(navbar(page).getByRole('link', { name: 'Register', exact: true })).toBeVisible();
    await expect(signedInUsername(page)).toHaveCount(0);

    // Logged out on the server too.
    await page.reload();
    await waitForHydration(page);
    await expect(navbar(page).getByRole('link', { name: 'Log in', exact: true })).toBeVisible();
    await expect(signedInUsername(page)).toHaveCount(0);
  });

  test('a wrong password shows an error and stays on the login page', async ({ page }) => {
    await page.goto('/login');
    await waitForHydration(page);
    await submitLogin(page, DEMO_CUSTOMER.username, 'not-the-password-1');

    await expect(page.locator('p.alert-error[role="alert"]')).toHaveText('wrong username or password');
    await expect(page).toHaveURL(/\/login$/);
    await expect(signedInUsername(page)).toHaveCount(0);
    await expect(navbar(page).getByRole('link', { name: 'Log in', exact: true })).toBeVisible();
  });

  test('the demo customer can log in', async ({ page }) => {
    await loginViaForm(page, DEMO_CUSTOMER.username, DEMO_CUSTOMER.password);
  });
});
