import { expect, test, type APIRequestContext, type Locator, type Page } from '@playwright/test';
import { cspViolations, loginAdminApi, recordCspViolations, registerAndLogInApi, signInFreshCustomer, waitForHydration } from './helpers';

/** Test cards of the simulated payment provider. */
const ACCEPTED_CARD = '4242424242424242';
const DECLINED_CARD = '4000000000000002';
const EXPIRY = '12/2099';

const RECEIPT_URL = /\/orders\/(\d+)$/;

async function openStorefront(page: Page): Promise<void> {
  await page.goto('/');
  await waitForHydration(page);
}

function cartPanel(page: Page): Locator {
  return page.getByTestId('cart');
}

function productCard(page: Page, name: string): Locator {
  return page
    .getByTestId('product-grid')
    .getByTestId('product-card')
    .filter({ has: page.getByRole('heading', { name, exact: true }) });
}

function cartLine(page: Page, name: string): Locator {
  return cartPanel(page).getByTestId('cart-line').filter({ hasText: name });
}

/** Uses the product card's stepper and "Add to cart", then waits for the panel to show it. */
async function addToCart(page: Page, name: string, quantity: number): Promise<void> {
  const card = productCard(page, name);
  await card.getByTestId('quantity').fill(String(quantity));
  await card.getByTestId('add-to-cart').click();
  await expect(cartLine(page, name).getByTestId('line-quantity')).toHaveValue(String(quantity));
}

/** The idempotency key of the checkout form currently shown; it changes when the panel redraws. */
function attemptKey(page: Page): Promise<string> {
  return cartPanel(page).locator('input[name="attempt_key"]').inputValue();
}

async function payByCard(page: Page, number: string): Promise<void> {
  const cart = cartPanel(page);
  await cart.getByTestId('pay-card').check();
  await cart.getByTestId('card-number').fill(number);
  await cart.getByTestId('card-expiry').fill(EXPIRY);
  await cart.getByTestId('place-order').click();
}

async function payCash(page: Page): Promise<void> {
  const cart = cartPanel(page);
  await cart.getByTestId('pay-cash').check();
  await expect(cart.getByTestId('card-number')).toHaveCount(0);
  await cart.getByTestId('place-order').click();
}

/** Waits for the receipt page and returns the order id from the URL. */
async function receiptOrderId(page: Page): Promise<number> {
  await expect(page).toHaveURL(RECEIPT_URL);
  await expect(page.getByTestId('receipt')).toBeVisible();
  return Number(RECEIPT_URL.exec(new URL(page.url()).pathname)![1]);
}

/** A value on `window` that only survives as long as the document does (no full navigation). */
async function setWindowMarker(page: Page): Promise<string> {
  const marker = `e2e-${Date.now()}-${Math.random()}`;
  await page.evaluate((value) => {
    (window as unknown as { __e2eMarker?: string }).__e2eMarker = value;
  }, marker);
  return marker;
}

async function windowMarker(page: Page): Promise<string | undefined> {
  return page.evaluate(() => (window as unknown as { __e2eMarker?: string }).__e2eMarker);
}

type Throttle = { max_rps: number; burst: number };
type Faults = { failure_rate: number; latency_ms: number };

async function getThrottle(admin: APIRequestContext): Promise<Throttle> {
  const response = await admin.get('/api/admin/throttle');
  expect(response.status(), await response.text()).toBe(200);
  const { max_rps, burst } = await response.json();
  return { max_rps, burst };
}

async function setThrottle(admin: APIRequestContext, settings: Throttle): Promise<void> {
  const response = await admin.post('/api/admin/throttle', { data: settings });
  expect(response.status(), await response.text()).toBe(200);
}

async function getFaults(admin: APIRequestContext): Promise<Faults> {
  const response = await admin.get('/api/admin/payment-provider');
  expect(response.status(), await response.text()).toBe(200);
  const { failure_rate, latency_ms } = await response.json();
  return { failure_rate, latency_ms };
}

async function setFaults(admin: APIRequestContext, faults: Faults): Promise<void> {
  const response = await admin.post('/api/admin/payment-provider', { data: faults });
  expect(response.status(), await response.text()).toBe(200);
}

test.describe('shop', () => {
  test('add to cart updates the panel in place; a card checkout shows a paid receipt', async ({ page }) => {
    await recordCspViolations(page);
    await signInFreshCustomer(page);
    await openStorefront(page);
    const cart = cartPanel(page);
    await expect(cart.getByTestId('cart-empty')).toBeVisible();

    const storefrontUrl = page.url();
    const marker = await setWindowMarker(page);
    await addToCart(page, 'Mouse', 2);

    // The panel redrew in place: same document, same URL.
    await expect(cart.getByTestId('cart-line')).toHaveCount(1);
    await expect(cartLine(page, 'Mouse')).toContainText('2 × $25.00');
    // $25.00 x 2 + shipping 0.2 kg x 2 x $1.50 = $0.60; made in the USA, so no duty.
    await expect(cart.getByTestId('grand-total')).toHaveText('$50.60');
    expect(page.url()).toBe(storefrontUrl);
    expect(await windowMarker(page)).toBe(marker);
    const grandTotal = (await cart.getByTestId('grand-total').textContent())!.trim();

    await payByCard(page, ACCEPTED_CARD);
    const orderId = await receiptOrderId(page);
    await expect(page.getByTestId('order-status')).toHaveText('Paid');
    await expect(page.getByTestId('receipt-total')).toHaveText(grandTotal);
    await expect(page.getByTestId('receipt')).toContainText(`Order #${orderId}`);
    await expect(page.getByTestId('payment-reference')).toHaveText(/^ch_\d{8}$/);

    // "Print receipt" works under the CSP (no inline handlers).
    await page.evaluate(() => {
      (window as unknown as { __printed: number }).__printed = 0;
      window.print = () => {
        (window as unknown as { __printed: number }).__printed += 1;
      };
    });
    await page.getByRole('button', { name: 'Print receipt' }).click();
    await expect.poll(() => page.evaluate(() => (window as unknown as { __printed: number }).__printed)).toBe(1);
    expect(await cspViolations(page)).toEqual([]);

    await page.goto('/orders');
    await waitForHydration(page);
    const row = page.getByTestId('orders-table').locator('tbody tr').filter({
      has: page.getByRole('link', { name: `#${orderId}`, exact: true }),
    });
    await expect(row).toHaveCount(1);
    await expect(row).toContainText(grandTotal);
    await expect(row.getByTestId('order-status')).toHaveText('Paid');

    // The paid order emptied the cart.
    await openStorefront(page);
    await expect(cart.getByTestId('cart-empty')).toBeVisible();
  });

  test('a declined card keeps the cart on the storefront; cash on delivery then succeeds', async ({ page }) => {
    await signInFreshCustomer(page);
    await openStorefront(page);
    await addToCart(page, 'Mouse', 1);
    const cart = cartPanel(page);
    await expect(cart.getByTestId('grand-total')).toHaveText('$25.30');
    const storefrontUrl = page.url();
    const keyBefore = await attemptKey(page);

    await payByCard(page, DECLINED_CARD);
    await expect(cart.getByTestId('checkout-error')).toContainText('declined');
    expect(page.url()).toBe(storefrontUrl);
    await expect(page.getByTestId('receipt')).toHaveCount(0);
    await expect(cart.getByTestId('cart-line')).toHaveCount(1);
    await expect(cartLine(page, 'Mouse').getByTestId('line-quantity')).toHaveValue('1');
    await expect(cart.getByTestId('grand-total')).toHaveText('$25.30');
    // The panel refetches after the refusal, so the next attempt gets a fresh idempotency key.
    await expect.poll(() => attemptKey(page)).not.toBe(keyBefore);

    await payCash(page);
    await receiptOrderId(page);
    await expect(page.getByTestId('order-status')).toHaveText('Confirmed, pay on delivery');
    await expect(page.getByTestId('receipt-total')).toHaveText('$25.30');
  });

  test('a throttled checkout shows the busy banner and keeps the cart', async ({ page, request, playwright, baseURL }) => {
    await loginAdminApi(request);
    const throttleBefore = await getThrottle(request);

    // Another shopper, with a cart of their own, places the first order through the API.
    const other = await playwright.request.newContext({ baseURL });
    try {
      await registerAndLogInApi(other, 'other');
      const products: { id: number; name: string }[] = await (await other.get('/api/products')).json();
      const mouse = products.find((p) => p.name === 'Mouse')!;
      expect((await other.post('/api/cart/add', { data: { product_id: mouse.id, quantity: 1 } })).status()).toBe(200);

      await signInFreshCustomer(page);
      await openStorefront(page);
      await addToCart(page, 'Mouse', 1);
      const cart = cartPanel(page);
      await cart.getByTestId('pay-cash').check();
      const storefrontUrl = page.url();

      // The banner counts down from the Retry-After seconds and may be gone within a second,
      // so record every appearance as it happens.
      await page.evaluate(() => {
        const seen: { text: string; visible: boolean }[] = [];
        (window as unknown as { __busySeen: typeof seen }).__busySeen = seen;
        new MutationObserver(() => {
          const banner = document.querySelector<HTMLElement>('[data-testid="busy-banner"]');
          if (banner) seen.push({ text: banner.textContent ?? '', visible: banner.checkVisibility() });
        }).observe(document.body, { childList: true, subtree: true, characterData: true });
      });

      await setThrottle(request, { max_rps: 1, burst: 1 });
      try {
        const startedAt = Date.now();
        const first = await other.post('/api/checkout', { data: { payment_method: 'cash' } });
        expect(first.status(), await first.text()).toBe(200);
        await cart.getByTestId('place-order').click();
        expect(Date.now() - startedAt, 'the second order follows within the same second').toBeLessThan(1000);

        await expect
          .poll(() => page.evaluate(() => (window as unknown as { __busySeen: unknown[] }).__busySeen.length))
          .toBeGreaterThan(0);
        const seen = await page.evaluate(
          () => (window as unknown as { __busySeen: { text: string; visible: boolean }[] }).__busySeen,
        );
        expect(seen[0].visible).toBe(true);
        expect(seen[0].text).toMatch(/^System is busy, please try again in \d+ s\. Your cart is kept\.$/);
        expect(Number(/in (\d+) s/.exec(seen[0].text)![1])).toBeGreaterThanOrEqual(1);
      } finally {
        await setThrottle(request, throttleBefore);
      }

      // Nothing was ordered: still on the storefront with the line in the cart.
      expect(page.url()).toBe(storefrontUrl);
      await expect(cart.getByTestId('checkout-error')).toHaveCount(0);
      await expect(cart.getByTestId('cart-line')).toHaveCount(1);
      await expect(cartLine(page, 'Mouse').getByTestId('line-quantity')).toHaveValue('1');
      await expect(cart.getByTestId('grand-total')).toHaveText('$25.30');
    } finally {
      await other.dispose();
    }
  });

  test('a pending payment turns to Paid on the receipt without a reload', async ({ page, request }) => {
    test.setTimeout(60_000);
    await loginAdminApi(request);
    const faultsBefore = await getFaults(request);

    await signInFreshCustomer(page);
    await openStorefront(page);
    await addToCart(page, 'Mouse', 1);

    try {
      await setFaults(request, { failure_rate: 1.0, latency_ms: 0 });
      await payByCard(page, ACCEPTED_CARD);
      await receiptOrderId(page);
      await expect(page.getByTestId('order-status')).toHaveText('Order received, payment processing');
      await expect(page.getByTestId('receipt-total')).toHaveText('$25.30');

      const receiptUrl = page.url();
      const marker = await setWindowMarker(page);
      await setFaults(request, { failure_rate: 0.0, latency_ms: 0 });

      await expect(page.getByTestId('order-status')).toHaveText('Paid', { timeout: 20_000 });
      expect(page.url()).toBe(receiptUrl);
      expect(await windowMarker(page), 'the document was not reloaded').toBe(marker);
    } finally {
      await setFaults(request, faultsBefore);
    }
  });

  test('a cart quantity of 0 is refused with a message and the line keeps its quantity', async ({ page }) => {
    await signInFreshCustomer(page);
    await openStorefront(page);
    await addToCart(page, 'Mouse', 2);
    const line = cartLine(page, 'Mouse');
    await expect(cartPanel(page).getByTestId('grand-total')).toHaveText('$50.60');

    await line.getByTestId('line-quantity').fill('0');
    await line.getByRole('button', { name: 'Update', exact: true }).click();

    await expect(line.getByRole('alert')).toContainText('at least 1');
    await expect(line).toContainText('2 × $25.00');
    await expect(cartPanel(page).getByTestId('grand-total')).toHaveText('$50.60');
    const stored = await (await page.request.get('/api/cart')).json();
    expect(stored.lines).toHaveLength(1);
    expect(stored.lines[0].quantity).toBe(2);
  });
});
