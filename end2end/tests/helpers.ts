import { expect, type APIRequestContext, type Locator, type Page } from '@playwright/test';

/** Demo accounts created by DEMO_SEED=1. */
export const DEMO_ADMIN = { username: 'demo_admin', password: 'admin-demo-2026' } as const;
export const DEMO_CUSTOMER = { username: 'alice', password: 'alice-demo-2026' } as const;

/** Meets the password policy: at least 10 characters with a letter and a digit. */
export const NEW_USER_PASSWORD = 'e2e-password-2026';

/** A username nobody has used yet in this database (3-32 of a-z0-9._-). */
export function uniqueUsername(prefix = 'e2e'): string {
  const random = Math.random().toString(36).slice(2, 6);
  return `${prefix}_${Date.now()}_${random}`;
}

/** Resolves once the WASM bundle has hydrated the server-rendered page. */
export async function waitForHydration(page: Page): Promise<void> {
  await expect(page.locator('div.app')).toHaveAttribute('data-hydrated', 'true');
}

export function navbar(page: Page): Locator {
  return page.locator('header.navbar');
}

export function signedInUsername(page: Page): Locator {
  return navbar(page).getByTestId('username');
}

/** Registers through the form and checks it lands on the login page with the notice. */
export async function registerViaForm(page: Page, username: string, password = NEW_USER_PASSWORD): Promise<void> {
  await page.goto('/register');
  await waitForHydration(page);
  const form = page.locator('form').filter({ has: page.locator('input[name="email"]') });
  await form.locator('input[name="username"]').fill(username);
  await form.locator('input[name="email"]').fill(`${username}@example.test`);
  await form.locator('input[name="password"]').fill(password);
  await form.getByRole('button', { name: 'Create account', exact: true }).click();
  await expect(page).toHaveURL(/\/login\?registered=1$/);
  await expect(page.getByText('Account created')).toBeVisible();
}

/** Fills and submits the login form on the current page (which must be /login). */
export async function submitLogin(page: Page, username: string, password: string): Promise<void> {
  const form = page.locator('main form');
  await form.locator('input[name="username"]').fill(username);
  await form.locator('input[name="password"]').fill(password);
  await form.getByRole('button', { name: 'Log in', exact: true }).click();
}

/** Logs in through the form and waits until the navbar shows the user. */
export async function loginViaForm(page: Page, username: string, password: string): Promise<void> {
  if (!new URL(page.url(), 'http://x').pathname.startsWith('/login')) {
    await page.goto('/login');
  }
  await waitForHydration(page);
  await submitLogin(page, username, password);
  await expect(page).toHaveURL(/\/$/);
  await expect(signedInUsername(page)).toHaveText(username);
}

/** Registers a fresh customer and logs it in through the JSON API; the cookie stays in `request`. */
export async function registerAndLogInApi(request: APIRequestContext, prefix = 'shop'): Promise<string> {
  const username = uniqueUsername(prefix);
  const registered = await request.post('/api/register', {
    data: { username, email: `${username}@example.test`, password: NEW_USER_PASSWORD },
  });
  expect(registered.status(), await registered.text()).toBe(201);
  const login = await request.post('/api/login', { data: { username, password: NEW_USER_PASSWORD } });
  expect(login.status(), await login.text()).toBe(200);
  return username;
}

/**
 * Signs the page in as a fresh customer: `page.request` shares its cookie jar with the browser
 * context, so the session cookie from the API login applies to the page too.
 */
export async function signInFreshCustomer(page: Page, prefix = 'shop'): Promise<string> {
  return registerAndLogInApi(page.request, prefix);
}

/** An admin page shows the access-denied page to a visitor, and answers 403 to a customer. */
export async function expectAdminsOnly(page: Page, path: string, prefix: string): Promise<void> {
  await page.goto(path);
  await expect(page.getByTestId('forbidden')).toBeVisible();
  await signInFreshCustomer(page, prefix);
  const answer = await page.goto(path);
  expect(answer?.status()).toBe(403);
  await expect(page.getByTestId('forbidden')).toBeVisible();
}

/** Logs an API request context in as the demo admin (the session cookie stays in it). */
export async function loginAdminApi(request: APIRequestContext): Promise<void> {
  const login = await request.post('/api/login', { data: DEMO_ADMIN });
  expect(login.status(), await login.text()).toBe(200);
}

/** Starts recording Content-Security-Policy violations (blocked scripts, handlers, styles). */
export async function recordCspViolations(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __cspViolations: string[] }).__cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (event) => {
      seen.push(`${event.violatedDirective} blocked ${event.blockedURI || 'inline'} (${event.sample})`);
    });
  });
}

export async function cspViolations(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __cspViolations?: string[] }).__cspViolations ?? []);
}

/** Collects the WebAssembly's panics (console errors): a panic leaves the page's app unusable. */
export function recordPanics(page: Page): string[] {
  const panics: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && message.text().includes('panicked')) {
      panics.push(message.text().split('\n').slice(0, 2).join(' '));
    }
  });
  return panics;
}
