import { expect, test, type Page } from '@playwright/test';
import { NEW_USER_PASSWORD, uniqueUsername } from './helpers';

/**
 * With JavaScript off, the account, checkout and order pages work as plain HTML: their forms
 * post to the server functions, which redirect to the right page, and a refusal comes back to
 * the page with its message in the server's HTML.
 */
test.use({ javaScriptEnabled: false });

async function addToCartApi(page: Page, name: string, quantity: number): Promise<void> {
  const products = await (await page.request.get('/api/products')).json();
  const product = (products as Array<{ id: number; name: string }>).find((p) => p.name === name);
  expect(product, `product ${name}`).toBeTruthy();
  const added = await page.request.post('/api/cart/add', { data: { product_id: product!.id, quantity } });
  expect(added.status(), await added.text()).toBe(200);
}

async function placeCardOrder(page: Page, number: string): Promise<void> {
  const cart = page.getByTestId('cart');
  await cart.getByTestId('pay-card').check();
  await cart.getByTestId('card-number').fill(number);
  await cart.getByTestId('card-expiry').fill('12/2099');
  await cart.getByTestId('place-order').click();
}

test.describe('without JavaScript', () => {
  test('register, log in, check out and read the receipt and the order list', async ({ page }) => {
    const username = uniqueUsername('nojs');
    await page.goto('/register');
    const form = page.locator('main form');
    await form.locator('input[name="username"]').fill(username);
    await form.locator('input[name="email"]').fill(`${username}@example.test`);
    await form.locator('input[name="password"]').fill(NEW_USER_PASSWORD);
    await form.getByRole('button', { name: 'Create account', exact: true }).click();
    await expect(page).toHaveURL(/\/login\?registered=1$/);
    await expect(page.getByText('Account created')).toBeVisible();

    // A wrong password comes back to the login page with the reason.
    const login = page.locator('main form');
    await login.locator('input[name="username"]').fill(username);
    await login.locator('input[name="password"]').fill('not-the-password-1');
    await login.getByRole('button', { name: 'Log in', exact: true }).click();
    await expect(page).toHaveURL(/\/login/);
    await expect(page.getByRole('alert')).toContainText('wrong username or password');

    await login.locator('input[name="username"]').fill(username);
    await login.locator('input[name="password"]').fill(NEW_USER_PASSWORD);
    await login.getByRole('button', { name: 'Log in', exact: true }).click();
    await expect(page).toHaveURL(/\/$/);
    await expect(page.getByTestId('username')).toHaveText(username);

    await addToCartApi(page, 'Mouse', 1);
    await page.goto('/');
    // The payment choice is checked in the server's HTML: a bare form post names a method.
    await expect(page.getByTestId('pay-card')).toBeChecked();

    // A declined card: back on the storefront, the reason shown, the cart kept.
    await placeCardOrder(page, '4000000000000002');
    await expect(page).toHaveURL(/\/\?/);
    await expect(page.getByTestId('checkout-error')).toContainText('declined');
    await expect(page.getByTestId('cart').getByTestId('cart-line')).toHaveCount(1);

    await placeCardOrder(page, '4242424242424242');
    await expect(page).toHaveURL(/\/orders\/(\d+)$/);
    const orderId = Number(/\/orders\/(\d+)$/.exec(page.url())![1]);
    await expect(page.getByTestId('receipt')).toContainText(`Order #${orderId}`);
    await expect(page.getByTestId('order-status')).toHaveText('Paid');
    await expect(page.getByTestId('receipt-total')).toHaveText('$25.30');
    await expect(page.getByTestId('payment-reference')).toHaveText(/^ch_\d{8}$/);

    await page.goto('/orders');
    const row = page.getByTestId('orders-table').locator('tbody tr').filter({
      has: page.getByRole('link', { name: `#${orderId}`, exact: true }),
    });
    await expect(row).toHaveCount(1);
    await expect(row.getByTestId('order-status')).toHaveText('Paid');
  });
});
