import { expect, test, type Page } from '@playwright/test';
import {
  cspViolations,
  loginAdminApi,
  loginViaForm,
  DEMO_ADMIN,
  expectAdminsOnly,
  recordCspViolations,
  signInFreshCustomer,
  waitForHydration,
} from './helpers';

/**
 * The admin orders console (`/admin/orders`): the list, filtered and searched, an order's
 * detail with its lines and progress, "mark shipped" and "mark delivered" (in place once
 * hydrated, as plain forms without JavaScript), and the customer's order page following.
 */

type Product = { id: number; name: string; stock: number };

/** A paid card order of one unit by the page's customer. */
async function paidOrder(page: Page): Promise<number> {
  const products = (await (await page.request.get('/api/products')).json()) as Product[];
  const product = products.find((p) => p.stock >= 3) ?? products[0];
  const added = await page.request.post('/api/cart/add', { data: { product_id: product.id, quantity: 1 } });
  expect(added.status(), await added.text()).toBe(200);
  const checkout = await page.request.post('/api/checkout', {
    headers: { 'Idempotency-Key': `e2e-console-${Date.now()}-${Math.random()}` },
    data: { payment_method: 'card', card_number: '4242 4242 4242 4242', card_expiry: '12/2099' },
  });
  expect(checkout.status(), await checkout.text()).toBe(200);
  return ((await checkout.json()) as { order_id: number }).order_id;
}

async function shipAndDeliver(admin: Page, orderId: number): Promise<void> {
  await admin.getByTestId('ship-carrier').fill('DHL');
  await admin.getByTestId('ship-tracking').fill(`JDCONSOLE${orderId}`);
  await admin.getByTestId('action-ship').getByRole('button', { name: 'Mark shipped' }).click();
  await expect(admin.getByTestId('order-progress')).toHaveAttribute('data-stage', 'shipped');
  await expect(admin.getByTestId('order-tracking')).toContainText(`JDCONSOLE${orderId}`);
  await admin.getByTestId('action-deliver').getByRole('button', { name: 'Mark delivered' }).click();
  await expect(admin.getByTestId('order-progress')).toHaveAttribute('data-stage', 'delivered');
  await expect(admin.getByTestId('no-actions')).toBeVisible();
}

test.describe('orders console', () => {
  test('an admin finds an order, ships and delivers it; the customer sees the progress', async ({ page, browser }) => {
    const customer = await signInFreshCustomer(page, 'console');
    const orderId = await paidOrder(page);

    const adminContext = await browser.newContext();
    const admin = await adminContext.newPage();
    await recordCspViolations(admin);
    await loginViaForm(admin, DEMO_ADMIN.username, DEMO_ADMIN.password);
    await admin.goto('/admin/orders');
    await admin.getByTestId('filter-q').fill(customer);
    await admin.getByTestId('filter-stage').selectOption('processing');
    await admin.getByTestId('filter-apply').click();
    const row = admin.locator(`[data-testid="order-row"][data-order-id="${orderId}"]`);
    await expect(row).toBeVisible();
    await expect(admin.getByTestId('order-row')).toHaveCount(1);
    await row.getByRole('link').click();
    await expect(admin).toHaveURL(new RegExp(`/admin/orders/${orderId}$`));
    await waitForHydration(admin);
    await expect(admin.getByTestId('order-line')).toHaveCount(1);
    await shipAndDeliver(admin, orderId);
    expect(await cspViolations(admin)).toEqual([]);
    await adminContext.close();

    await page.goto(`/orders/${orderId}`);
    await expect(page.getByTestId('order-progress')).toHaveAttribute('data-stage', 'delivered');
    await expect(page.getByTestId('order-tracking')).toContainText(`JDCONSOLE${orderId}`);
  });

  test('the console is for admins only', async ({ page }) => {
    await expectAdminsOnly(page, '/admin/orders', 'consolenot');
  });
});

test.describe('orders console without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('the forms post and come back to the order', async ({ page, browser }) => {
    const customer = await signInFreshCustomer(page, 'consolenojs');
    const orderId = await paidOrder(page);
    const adminContext = await browser.newContext({ javaScriptEnabled: false });
    const admin = await adminContext.newPage();
    await loginAdminApi(admin.request);
    await admin.goto(`/admin/orders?q=${customer}`);
    await admin.locator(`[data-testid="order-row"][data-order-id="${orderId}"]`).getByRole('link').click();
    await shipAndDeliver(admin, orderId);
    await expect(admin).toHaveURL(new RegExp(`/admin/orders/${orderId}\\??$`));
    await adminContext.close();
  });
});
