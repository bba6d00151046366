import { expect, test, type APIRequestContext, type Locator, type Page } from '@playwright/test';
import {
  cspViolations,
  loginAdminApi,
  loginViaForm,
  DEMO_ADMIN,
  expectAdminsOnly,
  recordCspViolations,
  recordPanics,
  signInFreshCustomer,
  waitForHydration,
} from './helpers';

/**
 * Returns, end to end: the customer's wizard (stepper, rules as they go, photo upload with
 * progress, the estimate, a draft that survives a reload), the admin's RMA console (exactly the
 * valid actions), and the customer's return page following along without a reload.
 *
 * Needs the orders console: `POST /api/admin/orders/{id}/ship` and `/deliver`, so an
 * order can be delivered and become returnable.
 */

/** A 1×1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

type Product = { id: number; name: string; stock: number; price_cents: number };

/** Orders `quantity` units of a product (by default two of the first with stock) as the page's customer, paid by card, then has the admin ship and deliver it. */
async function deliveredOrder(page: Page, admin: APIRequestContext, chosen?: Product, quantity = 2): Promise<number> {
  const products = (await (await page.request.get('/api/products')).json()) as Product[];
  const product = chosen ?? products.find((p) => p.stock >= 5) ?? products[0];
  expect(product, 'a product in stock').toBeTruthy();
  const added = await page.request.post('/api/cart/add', { data: { product_id: product.id, quantity } });
  expect(added.status(), await added.text()).toBe(200);
  const checkout = await page.request.post('/api/checkout', {
    headers: { 'Idempotency-Key': `e2e-return-${Date.now()}-${Math.random()}` },
    data: { payment_method: 'card', card_number: '4242 4242 4242 4242', card_expiry: '12/2099' },
  });
  expect(checkout.status(), await checkout.text()).toBe(200);
  const { order_id: orderId, status } = (await checkout.json()) as { order_id: number; status: string };
  expect(status).toBe('paid');
  const shipped = await admin.post(`/api/admin/orders/${orderId}/ship`, { data: { carrier: 'DHL', tracking: `E2E${orderId}` } });
  expect(shipped.status(), await shipped.text()).toBe(200);
  const delivered = await admin.post(`/api/admin/orders/${orderId}/deliver`);
  expect(delivered.status(), await delivered.text()).toBe(200);
  return orderId;
}

function stepCount(page: Page): Locator {
  return page.getByTestId('step-count');
}

async function expectStep(page: Page, n: number, name: string): Promise<void> {
  await expect(stepCount(page)).toHaveText(`Step ${n} of 6`);
  await expect(page.locator('[data-testid="wizard-step"][aria-current="step"]')).toContainText(name);
  await expect(page.getByTestId('step-announcement')).toContainText(`Step ${n} of 6: ${name}`);
  await expect(page.getByTestId('wizard-step').filter({ has: page.locator('[aria-hidden="true"]', { hasText: '✓' }) })).toHaveCount(n - 1);
}

/** Presses Tab until `target` has the focus (at most 60 times). */
async function tabTo(page: Page, target: Locator): Promise<void> {
  for (let i = 0; i < 60; i += 1) {
    if (await target.evaluate((el) => el === document.activeElement).catch(() => false)) {
      return;
    }
    await page.keyboard.press('Tab');
  }
  throw new Error(`could not reach ${target} with Tab`);
}

test.describe('returns', () => {
  test('a customer returns an item with a photo and follows it live to the refund', async ({ page, browser, playwright, baseURL }) => {
    test.setTimeout(120_000);
    const admin = await playwright.request.newContext({ baseURL });
    await loginAdminApi(admin);
    await recordCspViolations(page);
    const panics = recordPanics(page);
    await signInFreshCustomer(page, 'ret');
    // A whole order of three returned first (by the API) puts the customer over the
    // returned-share limit (3 of 5 units ordered): the wizard's return below waits for an admin.
    const firstOrder = await deliveredOrder(page, admin, undefined, 3);
    const returnable = (await (await page.request.get('/api/returns/orders')).json()) as {
      order_id: number;
      lines: { order_line_id: number; quantity: number }[];
    }[];
    const firstLines = returnable.find((o) => o.order_id === firstOrder)?.lines ?? [];
    const first = await page.request.post('/api/returns', {
      data: {
        order_id: firstOrder,
        items: firstLines.map((l) => ({ order_line_id: l.order_line_id, quantity: l.quantity })),
        reason: 'no_longer_wanted',
        details: '',
        method: 'store_credit',
      },
    });
    expect(first.status(), await first.text()).toBe(201);
    const orderId = await deliveredOrder(page, admin);

    // The receipt's link (or the list's) opens the wizard on that order, at step 2.
    await page.goto(`/returns/new?order=${orderId}`);
    await waitForHydration(page);
    await expectStep(page, 2, 'Items');
    const quantity = page.getByTestId('item-quantity').first();
    await quantity.fill('9');
    await expect(page.getByTestId('step-problem')).toContainText(/at most/i);
    await quantity.fill('1');
    await expect(page.getByTestId('step-problem')).toHaveCount(0);
    await page.getByTestId('wizard-next').click();

    await expectStep(page, 3, 'Reason');
    await expect(page.getByTestId('step-heading')).toBeFocused();
    await page.getByLabel(/^Damaged/).check();
    await expect(page.getByTestId('photos-required')).toBeVisible();
    await page.getByTestId('return-details').fill('The lid arrived cracked.');
    await page.getByTestId('wizard-next').click();

    // Photos: the rule says one is needed; a text file is refused with the server's message.
    await expectStep(page, 4, 'Photos');
    await page.getByTestId('wizard-next').click();
    await expect(page.getByTestId('step-problem')).toContainText('photo');
    await expect(stepCount(page)).toHaveText('Step 4 of 6');
    await page.getByTestId('photo-input').setInputFiles({ name: 'notes.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('not an image') });
    await expect(page.getByTestId('upload-error')).toBeVisible();
    await page.getByTestId('photo-input').setInputFiles({ name: 'lid.png', mimeType: 'image/png', buffer: PNG });
    const uploaded = page.locator('[data-testid="upload"][data-state="done"]');
    await expect(uploaded).toHaveCount(1);
    const bar = uploaded.getByTestId('upload-progress');
    expect(await bar.getAttribute('value')).toBe(await bar.getAttribute('max'));
    await expect(page.getByTestId('draft-photo')).toHaveCount(1);

    // A reload resumes the draft where it was, photo included.
    await page.reload();
    await waitForHydration(page);
    await expect(page.getByTestId('draft-resumed')).toBeVisible();
    await expectStep(page, 4, 'Photos');
    await expect(page.getByTestId('draft-photo')).toHaveCount(1);
    await page.getByTestId('wizard-next').click();

    // The refund: both methods with their amounts, the chosen one explained.
    await expectStep(page, 5, 'Refund');
    await page.getByLabel(/^Store credit/).check();
    await expect(page.getByTestId('refund-estimate')).toContainText('You receive');
    await expect(page.locator('[data-method="store_credit"]')).toContainText('you receive');
    await page.getByTestId('wizard-next').click();

    await expectStep(page, 6, 'Review');
    await expect(page.getByTestId('review')).toContainText('1 photo');
    await page.getByTestId('wizard-submit').click();
    await expect(page).toHaveURL(/\/returns\/\d+$/);
    const returnId = Number(new URL(page.url()).pathname.split('/').pop());
    await expect(page.getByTestId('return-page')).toBeVisible();
    await expect(page.getByTestId('timeline-entry').first()).toBeVisible();
    await expect(page.getByTestId('gallery-photo')).toHaveCount(1);
    // Marks this document: it must still be the same one at the end (no reload).
    await page.evaluate(() => ((window as unknown as { __returnMarker: number }).__returnMarker = 42));

    // The admin, in another browser, works through exactly the valid actions.
    const adminContext = await browser.newContext();
    const adminPage = await adminContext.newPage();
    await recordCspViolations(adminPage);
    await loginViaForm(adminPage, DEMO_ADMIN.username, DEMO_ADMIN.password);
    await adminPage.goto('/admin/returns');
    await expect(adminPage.locator(`[data-testid="queue-row"][data-return-id="${returnId}"]`)).toBeVisible();
    await expect(adminPage.locator(`[data-testid="queue-row"][data-return-id="${returnId}"]`).getByTestId('age-badge')).toHaveText('0 d');
    await adminPage.goto(`/admin/returns/${returnId}`);
    await waitForHydration(adminPage);
    await expect(adminPage.getByTestId('gallery-photo')).toHaveCount(1);
    const actions = adminPage.getByTestId('admin-actions');
    await expect(adminPage.getByTestId('review-reason')).toBeVisible();
    await actions.getByTestId('action-authorize').getByRole('button').click();
    await expect(actions.getByTestId('action-authorize')).toHaveCount(0);

    // The customer's page shows the RMA number and the shipment form by itself.
    await expect(page.getByTestId('rma-number')).toHaveText(/^RMA-\d{8}-\d{5,}$/);
    await page.getByTestId('carrier').fill('DHL');
    await page.getByTestId('tracking').fill('JD0002E2E');
    await page.getByTestId('ship-submit').click();
    await expect(page.getByTestId('return-status')).toHaveText('In transit');

    // The admin's page follows too: receive, inspect (restock), approve, refund.
    await expect(actions.getByTestId('action-receive')).toBeVisible();
    await actions.getByTestId('action-receive').getByRole('button').click();
    await expect(actions.getByTestId('action-inspect')).toBeVisible();
    await actions.getByTestId('inspect-condition').first().selectOption('like_new');
    await actions.getByTestId('inspect-disposition').first().selectOption('restock');
    await actions.getByTestId('action-inspect').getByRole('button', { name: 'Save inspection' }).click();
    await expect(actions.getByTestId('action-approve')).toBeVisible();
    await actions.getByTestId('action-approve').getByRole('button', { name: 'Approve' }).click();
    await expect(actions.getByTestId('action-refund')).toBeVisible();
    await actions.getByTestId('action-refund').getByRole('button', { name: 'Refund' }).click();
    await expect(adminPage.getByTestId('refund-state')).toBeVisible();

    // The customer's timeline caught up without a reload.
    await expect(page.getByTestId('return-status')).toHaveText(/Refund pending|Refunded|Closed/, { timeout: 15_000 });
    await expect(page.locator('[data-testid="timeline-entry"][data-status="received"]')).toHaveCount(1);
    await expect(page.locator('[data-testid="timeline-entry"][data-status="inspected"]')).toHaveCount(1);
    expect(await page.evaluate(() => (window as unknown as { __returnMarker?: number }).__returnMarker)).toBe(42);

    // The refund is store credit: the account shows it, and it pays at checkout with the card.
    await expect(page.getByTestId('return-status')).toHaveText(/Refunded|Closed/, { timeout: 15_000 });
    await page.goto('/account');
    const account = (await (await page.request.get('/api/store-credit')).json()) as { balance_cents: number };
    expect(account.balance_cents, 'the refund is store credit').toBeGreaterThan(0);
    const dollars = `$${(account.balance_cents / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
    await expect(page.getByTestId('credit-balance')).toContainText(dollars);
    await expect(page.locator('[data-testid="credit-entry"][data-reason="refund"]')).toHaveCount(1);
    const before = await page.getByTestId('credit-balance').textContent();
    const products = (await (await page.request.get('/api/products')).json()) as Product[];
    const again = products.find((p) => p.stock >= 5) ?? products[0];
    const added = await page.request.post('/api/cart/add', { data: { product_id: again.id, quantity: 1 } });
    expect(added.status(), await added.text()).toBe(200);
    await page.goto('/');
    await waitForHydration(page);
    const cart = page.getByTestId('cart');
    await cart.getByTestId('use-store-credit-box').check();
    await cart.getByTestId('pay-card').check();
    await cart.getByTestId('card-number').fill('4242 4242 4242 4242');
    await cart.getByTestId('card-expiry').fill('12/2099');
    await cart.getByTestId('place-order').click();
    await expect(page).toHaveURL(/\/orders\/\d+$/);
    await expect(page.getByTestId('receipt')).toBeVisible();
    await page.goto('/account');
    await expect(page.locator('[data-testid="credit-entry"][data-reason="checkout"]')).toHaveCount(1);
    await expect(page.getByTestId('credit-balance')).not.toHaveText(before ?? '');

    expect(await cspViolations(page)).toEqual([]);
    expect(panics, 'leaving a step once read its disposed estimate and panicked').toEqual([]);
    expect(await cspViolations(adminPage)).toEqual([]);
    await adminContext.close();
    await admin.dispose();
  });

  test('the wizard works with the keyboard alone', async ({ page, playwright, baseURL }) => {
    test.setTimeout(90_000);
    const admin = await playwright.request.newContext({ baseURL });
    await loginAdminApi(admin);
    await recordCspViolations(page);
    const panics = recordPanics(page);
    await signInFreshCustomer(page, 'retkb');
    const orderId = await deliveredOrder(page, admin);

    await page.goto('/returns');
    await waitForHydration(page);
    await tabTo(page, page.getByTestId('start-return'));
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(/\/returns\/new$/);
    await waitForHydration(page);
    await expectStep(page, 1, 'Order');

    // 1: the order (a radio: Space checks it), then Next with Enter.
    const radio = page.locator(`[data-testid="order-choice"][data-order-id="${orderId}"] input`);
    await tabTo(page, radio);
    await page.keyboard.press('Space');
    await expect(radio).toBeChecked();
    await tabTo(page, page.getByTestId('wizard-next'));
    await page.keyboard.press('Enter');
    await expectStep(page, 2, 'Items');
    await expect(page.getByTestId('step-heading')).toBeFocused();

    // 2: one unit (ArrowUp on the number field).
    await tabTo(page, page.getByTestId('item-quantity').first());
    await page.keyboard.press('ArrowUp');
    await expect(page.getByTestId('item-quantity').first()).toHaveValue('1');
    await tabTo(page, page.getByTestId('wizard-next'));
    await page.keyboard.press('Enter');

    // 3: a reason needing no photo (arrows move through the radio group).
    await expectStep(page, 3, 'Reason');
    const reasons = page.getByTestId('reason-choices').locator('input[type="radio"]');
    await tabTo(page, reasons.first());
    await page.keyboard.press('Space');
    for (let i = 0; i < 3; i += 1) {
      await page.keyboard.press('ArrowDown');
    }
    await expect(page.locator('input[value="no_longer_wanted"]')).toBeChecked();
    await tabTo(page, page.getByTestId('wizard-next'));
    await page.keyboard.press('Enter');

    // 4: photos are optional for this reason.
    await expectStep(page, 4, 'Photos');
    await tabTo(page, page.getByTestId('wizard-next'));
    await page.keyboard.press('Enter');

    // 5: back to the original payment.
    await expectStep(page, 5, 'Refund');
    const original = page.locator('input[value="original_payment"]');
    await tabTo(page, original);
    await page.keyboard.press('Space');
    await expect(original).toBeChecked();
    await expect(page.getByTestId('refund-estimate')).toContainText('You receive');
    await tabTo(page, page.getByTestId('wizard-next'));
    await page.keyboard.press('Enter');

    // 6: Back works too; then submit.
    await expectStep(page, 6, 'Review');
    await tabTo(page, page.getByTestId('wizard-back'));
    await page.keyboard.press('Enter');
    await expectStep(page, 5, 'Refund');
    await tabTo(page, page.getByTestId('wizard-next'));
    await page.keyboard.press('Enter');
    await tabTo(page, page.getByTestId('wizard-submit'));
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(/\/returns\/\d+$/);
    await expect(page.getByTestId('return-status')).toBeVisible();
    expect(await cspViolations(page)).toEqual([]);
    expect(panics).toEqual([]);
    await admin.dispose();
  });

  test('a dearer exchange is paid by card at the review step, a declined card refused there', async ({ page, playwright, baseURL }) => {
    test.setTimeout(90_000);
    const admin = await playwright.request.newContext({ baseURL });
    await loginAdminApi(admin);
    const panics = recordPanics(page);
    await signInFreshCustomer(page, 'exch');
    // Return the cheapest product over the "keep it" value for the dearest one.
    const products = (await (await page.request.get('/api/products')).json()) as Product[];
    const inStock = products.filter((p) => p.stock >= 5 && p.price_cents > 1_000).sort((a, b) => a.price_cents - b.price_cents);
    const [cheap, dear] = [inStock[0], inStock[inStock.length - 1]];
    expect(dear.price_cents, 'two products of different prices').toBeGreaterThan(cheap.price_cents * 2);
    const orderId = await deliveredOrder(page, admin, cheap);

    await page.goto(`/returns/new?order=${orderId}`);
    await waitForHydration(page);
    await page.getByTestId('item-quantity').first().fill('1');
    await page.getByTestId('wizard-next').click();
    await page.getByLabel(/^No longer wanted/).check();
    await page.getByTestId('wizard-next').click();
    await expectStep(page, 4, 'Photos');
    await page.getByTestId('wizard-next').click();
    await expectStep(page, 5, 'Refund');
    await page.getByLabel(/^Exchange/).check();
    await page.getByTestId('exchange-product').selectOption(String(dear.id));
    await expect(page.getByTestId('exchange-quote')).toContainText('by card when you submit');
    await page.getByTestId('wizard-next').click();

    await expectStep(page, 6, 'Review');
    const card = page.getByTestId('difference-card');
    await expect(card).toContainText('Pay the difference');
    await card.getByLabel('Card number').fill('4000 0000 0000 0002');
    await card.getByLabel('Expiry (MM/YYYY)').fill('12/2099');
    await page.getByTestId('wizard-submit').click();
    await expect(page.getByRole('alert').filter({ hasText: 'declined' })).toBeVisible();

    await card.getByLabel('Card number').fill('4242 4242 4242 4242');
    await page.getByTestId('wizard-submit').click();
    await expect(page).toHaveURL(/\/returns\/\d+$/);
    await expect(page.getByTestId('difference-payment')).toContainText('Price difference paid by card');
    await expect(page.getByTestId('difference-payment')).toContainText('Visa •••• 4242');
    expect(panics, 'choosing an exchange once panicked the hydrated wizard').toEqual([]);
  });

  test('the RMA console is for admins only', async ({ page }) => {
    await expectAdminsOnly(page, '/admin/returns', 'retnoadmin');
  });
});

test.describe('returns without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('the return page reads, ships and cancels as plain HTML', async ({ page, playwright, baseURL }) => {
    const admin = await playwright.request.newContext({ baseURL });
    await loginAdminApi(admin);
    await signInFreshCustomer(page, 'retnojs');
    const orderId = await deliveredOrder(page, admin);
    const orders = (await (await page.request.get('/api/returns/orders')).json()) as Array<{
      order_id: number;
      lines: Array<{ order_line_id: number }>;
    }>;
    const line = orders.find((o) => o.order_id === orderId)?.lines[0];
    expect(line, 'a returnable line').toBeTruthy();
    const created = await page.request.post('/api/returns', {
      data: {
        order_id: orderId,
        items: [{ order_line_id: line!.order_line_id, quantity: 1 }],
        reason: 'no_longer_wanted',
        method: 'original_payment',
      },
    });
    expect(created.status(), await created.text()).toBeLessThan(300);
    const { summary } = (await created.json()) as { summary: { id: number } };

    await page.goto('/returns');
    await expect(page.locator(`[data-testid="return-row"][data-return-id="${summary.id}"]`)).toBeVisible();
    await page.goto(`/returns/${summary.id}`);
    await expect(page.getByTestId('return-page')).toBeVisible();
    await expect(page.getByTestId('timeline-entry').first()).toBeVisible();
    await expect(page.getByTestId('return-status')).toHaveText('Authorized');
    await expect(page.getByTestId('rma-number')).toBeVisible();

    await page.getByTestId('carrier').fill('UPS');
    await page.getByTestId('tracking').fill('1Z999NOJS');
    await page.getByTestId('ship-submit').click();
    await expect(page).toHaveURL(new RegExp(`/returns/${summary.id}\\??$`));
    await expect(page.getByTestId('return-status')).toHaveText('In transit');
    await expect(page.getByTestId('shipment')).toContainText('1Z999NOJS');

    await page.getByTestId('cancel-return').click();
    await expect(page.getByTestId('return-status')).toHaveText('Cancelled');
    await expect(page.getByTestId('cancel-return')).toHaveCount(0);
    await admin.dispose();
  });

  test("Enter in a step's field moves on, as Next does", async ({ page, playwright, baseURL }) => {
    const admin = await playwright.request.newContext({ baseURL });
    await loginAdminApi(admin);
    await signInFreshCustomer(page, 'wizenter');
    const orderId = await deliveredOrder(page, admin);

    await page.goto(`/returns/new?order=${orderId}`);
    await expect(stepCount(page)).toHaveText('Step 2 of 6');
    const units = page.getByTestId('item-quantity').first();
    await units.fill('1');
    await units.press('Enter');
    await expect(stepCount(page)).toHaveText('Step 3 of 6');
    await admin.dispose();
  });

  test('the wizard is completed with plain forms, a photo included', async ({ page, playwright, baseURL }) => {
    const admin = await playwright.request.newContext({ baseURL });
    await loginAdminApi(admin);
    await signInFreshCustomer(page, 'wiznojs');
    const orderId = await deliveredOrder(page, admin);

    await page.goto('/returns/new');
    await expect(stepCount(page)).toHaveText('Step 1 of 6');
    await page.locator(`[data-testid="order-choice"][data-order-id="${orderId}"] input`).check();
    await page.getByTestId('wizard-next').click();
    await expect(stepCount(page)).toHaveText('Step 2 of 6');

    // The server checks the step and says why it cannot be left (the browser itself refuses
    // more units than the field's maximum).
    await page.getByTestId('item-quantity').first().fill('0');
    await page.getByTestId('wizard-next').click();
    await expect(stepCount(page)).toHaveText('Step 2 of 6');
    await expect(page.getByTestId('step-problem')).toHaveClass(/alert-error/);
    await expect(page.getByTestId('step-problem')).toHaveText('Choose at least one item to return');
    await page.getByTestId('item-quantity').first().fill('1');
    await page.getByTestId('wizard-next').click();

    await expect(stepCount(page)).toHaveText('Step 3 of 6');
    await page.getByLabel('Damaged').check();
    await page.getByTestId('return-details').fill('The shade arrived cracked');
    await page.getByTestId('wizard-next').click();

    await expect(stepCount(page)).toHaveText('Step 4 of 6');
    await page.getByTestId('photo-input').setInputFiles({ name: 'crack.png', mimeType: 'image/png', buffer: PNG });
    await page.getByTestId('photo-upload').click();
    await expect(stepCount(page)).toHaveText('Step 4 of 6');
    await expect(page.getByTestId('draft-photo')).toHaveCount(1);
    await page.getByTestId('wizard-next').click();

    await expect(stepCount(page)).toHaveText('Step 5 of 6');
    await page.locator('[data-testid="method-choice"][data-method="store_credit"] input').check();
    await page.getByTestId('wizard-next').click();

    await expect(stepCount(page)).toHaveText('Step 6 of 6');
    await expect(page.getByTestId('review')).toContainText('1 photo(s)');
    await expect(page.getByTestId('refund-estimate')).toBeVisible();
    await page.getByTestId('wizard-submit').click();

    await expect(page).toHaveURL(/\/returns\/\d+$/);
    await expect(page.getByTestId('return-page')).toBeVisible();
    await expect(page.getByTestId('timeline-entry').first()).toBeVisible();
    await admin.dispose();
  });
});
