import { expect, test, type APIRequestContext, type Locator, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cspViolations, loginAdminApi, recordCspViolations, registerAndLogInApi, waitForHydration } from './helpers';

/**
 * The live quality dashboard: an admin keeps it open while the payment provider fails and
 * checkouts arrive through the API; the A.1 card and the events list change without a reload,
 * each card says how fresh it is, and a card without traffic says "no data".
 */

type Product = { id: number; stock: number };

/** "accepted / submitted (queued)" of the A.1 card. */
async function a1Figures(card: Locator): Promise<[number, number, number]> {
  const text = (await card.locator('dd').filter({ hasText: ' queued)' }).textContent()) ?? '';
  const match = text.match(/(\d+) \/ (\d+) \((\d+) queued\)/);
  expect(match, `A.1 figures in '${text}'`).toBeTruthy();
  return [Number(match![1]), Number(match![2]), Number(match![3])];
}

async function setFaults(admin: APIRequestContext, failure_rate: number): Promise<void> {
  const response = await admin.post('/api/admin/payment-provider', { data: { failure_rate, latency_ms: 0 } });
  expect(response.status(), await response.text()).toBe(200);
}

async function cardCheckouts(customer: APIRequestContext, n: number): Promise<string[]> {
  const products = (await (await customer.get('/api/products')).json()) as Product[];
  const product = products.find((p) => p.stock >= n + 5) ?? products[0];
  const statuses: string[] = [];
  for (let i = 0; i < n; i++) {
    const added = await customer.post('/api/cart/add', { data: { product_id: product.id, quantity: 1 } });
    expect(added.status(), await added.text()).toBe(200);
    const checkout = await customer.post('/api/checkout', {
      data: { payment_method: 'card', card_number: '4242 4242 4242 4242', card_expiry: '12/2099' },
    });
    expect(checkout.status(), await checkout.text()).toBe(200);
    statuses.push(((await checkout.json()) as { status: string }).status);
  }
  return statuses;
}

const repoRoot = path.resolve(__dirname, '..', '..');

/** Starts the debug server on `port` with the SQLite database in `dir`; resolves once /health answers. */
async function startServer(dir: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.env.E2E_SERVER_BIN ?? './target/debug/server', [], {
    cwd: repoRoot,
    stdio: 'ignore',
    env: {
      ...process.env,
      APP_ENV: 'development',
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      METRICS_ADDR: 'off',
      LEPTOS_SITE_ROOT: 'target/site',
      LEPTOS_OUTPUT_NAME: 'retail',
      DATABASE_URL: `sqlite://${path.join(dir, 'e2e.db')}`,
      DEMO_SEED: '1',
      LOGIN_RATE_LIMIT_PER_MINUTE: '0',
      SUPER_ADMIN_PASSWORD: 'e2e-super-admin-1',
      COOKIE_SECURE: '0',
    },
  });
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) {
        return child;
      }
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`the server on port ${port} did not start`);
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) {
    return;
  }
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

async function openDashboard(page: Page): Promise<void> {
  const response = await page.goto('/admin/dashboard');
  expect(response?.status()).toBe(200);
  await waitForHydration(page);
  await expect(page.getByTestId('card-a1')).toBeVisible();
}

test.describe('quality dashboard', () => {
  test('the A.1 card and the events follow an outage live; no traffic is "no data"', async ({ page, playwright, baseURL }) => {
    test.setTimeout(60_000);
    await recordCspViolations(page);
    await loginAdminApi(page.request);
    const admin = await playwright.request.newContext({ baseURL });
    await loginAdminApi(admin);
    const customer = await playwright.request.newContext({ baseURL });
    await registerAndLogInApi(customer, 'dash');

    await openDashboard(page);
    const a1 = page.getByTestId('card-a1');
    const refund = page.getByTestId('card-refund');
    await expect(refund.getByTestId('value')).toHaveText('no data');
    await expect(refund.getByTestId('state')).toHaveText('No data');
    // Live: the freshness line counts and returns to 0 s with each push.
    await expect(a1.getByTestId('freshness')).toHaveText(/updated [0-2] s ago/);
    const [accepted, submitted, queued] = await a1Figures(a1);

    await setFaults(admin, 1.0);
    try {
      const statuses = await cardCheckouts(customer, 3);
      expect(statuses).toEqual(['payment_pending', 'payment_pending', 'payment_pending']);
    } finally {
      await setFaults(admin, 0);
    }

    // Without a reload: the figures, the state and the events change within a few seconds.
    await expect
      .poll(async () => a1Figures(a1), { timeout: 10_000 })
      .toEqual([accepted + 3, submitted + 3, queued + 3]);
    await expect(a1.getByTestId('value')).not.toHaveText('no data');
    const events = page.getByTestId('events');
    await expect(events.locator('li[data-kind="orders_queued"]').first()).toBeVisible({ timeout: 10_000 });
    await expect(events.locator('li[data-kind="faults_changed"]').first()).toContainText('demo_admin');
    await expect(events.locator('li[data-kind="breaker_opened"]').first()).toBeVisible({ timeout: 10_000 });
    await expect(page.getByTestId('disconnected')).toBeHidden();
    await expect(refund.getByTestId('value')).toHaveText('no data');
    expect(await cspViolations(page)).toEqual([]);
  });

  test('the page says when it is disconnected and reconnects after the server restarts', async ({ browser }) => {
    test.setTimeout(90_000);
    // A server of this test's own, so it can be stopped and started again on the same database.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'retail-e2e-restart-'));
    const port = 3190 + Math.floor(Math.random() * 9);
    const base = `http://127.0.0.1:${port}`;
    let server = await startServer(dir, port);
    const context = await browser.newContext({ baseURL: base });
    try {
      const page = await context.newPage();
      await loginAdminApi(page.request);
      await openDashboard(page);
      const freshness = page.getByTestId('card-a1').getByTestId('freshness');
      await expect(freshness).toHaveText(/updated [0-2] s ago/);
      await stopServer(server);
      await expect(page.getByTestId('disconnected')).toBeVisible({ timeout: 15_000 });
      server = await startServer(dir, port);
      await expect(page.getByTestId('disconnected')).toBeHidden({ timeout: 20_000 });
      await expect(freshness).toHaveText(/updated [0-2] s ago/);
    } finally {
      await context.close();
      await stopServer(server);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a customer gets 403 on the page and the stream', async ({ page }) => {
    await registerAndLogInApi(page.request, 'nosy');
    const response = await page.goto('/admin/dashboard');
    expect(response?.status()).toBe(403);
    await expect(page.getByTestId('forbidden')).toBeVisible();
    const stream = await page.request.get('/admin/dashboard/stream');
    expect(stream.status()).toBe(403);
  });
});
