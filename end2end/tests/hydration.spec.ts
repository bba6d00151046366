import { expect, test, type ConsoleMessage } from '@playwright/test';
import { cspViolations, recordCspViolations, waitForHydration } from './helpers';

/** Chromium's own "could not load /favicon.ico" line is not about the app. */
function isFaviconNoise(message: ConsoleMessage): boolean {
  return /favicon/i.test(message.text()) || /favicon/i.test(message.location().url ?? '');
}

for (const path of ['/', '/login', '/register']) {
  test(`no hydration warnings or Content-Security-Policy violations on ${path}`, async ({ page }) => {
    await recordCspViolations(page);
    const messages: string[] = [];
    const pageErrors: string[] = [];
    page.on('console', (message) => {
      if ((message.type() === 'warning' || message.type() === 'error') && !isFaviconNoise(message)) {
        messages.push(`[${message.type()}] ${message.text()}`);
      }
    });
    page.on('pageerror', (error) => pageErrors.push(String(error)));

    await page.goto(path);
    await waitForHydration(page);
    await page.waitForLoadState('networkidle');

    const hydrationMessages = messages.filter((text) => /hydrat/i.test(text));
    expect(hydrationMessages, `console output:\n${messages.join('\n')}`).toEqual([]);
    // A panic in the WASM while hydrating surfaces as an uncaught error.
    expect(pageErrors).toEqual([]);
    // The page hydrated under the server's CSP (nonce-only scripts): nothing was blocked.
    expect(await cspViolations(page)).toEqual([]);
    expect(messages.filter((text) => /Content.Security.Policy/i.test(text))).toEqual([]);
  });
}
