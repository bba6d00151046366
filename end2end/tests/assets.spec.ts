import { expect, test, type Page } from '@playwright/test';
import { waitForHydration } from './helpers';

/** Bytes the browser fetched over the network for the WASM bundle since the page started. */
async function wasmTransferred(page: Page): Promise<{ urls: string[]; bytes: number }> {
  return page.evaluate(() => {
    const entries = performance
      .getEntriesByType('resource')
      .filter((e) => new URL(e.name).pathname.endsWith('.wasm')) as PerformanceResourceTiming[];
    return { urls: entries.map((e) => e.name), bytes: entries.reduce((sum, e) => sum + e.transferSize, 0) };
  });
}

test('the bundle has a hashed name and a repeat visit downloads none of it', async ({ page }) => {
  const first = await page.goto('/');
  expect(first?.headers()['cache-control']).toBe('private, no-cache');
  await waitForHydration(page);
  const firstVisit = await wasmTransferred(page);
  expect(firstVisit.urls.length).toBeGreaterThan(0);
  for (const url of firstVisit.urls) {
    expect(new URL(url).pathname).toMatch(/^\/pkg\/retail\.[A-Za-z0-9_-]{22}\.wasm$/);
  }
  expect(firstVisit.bytes).toBeGreaterThan(0);

  const wasm = await page.request.get(firstVisit.urls[0]);
  expect(wasm.headers()['cache-control']).toBe('public, max-age=31536000, immutable');

  // A new page load in the same browser: the page is revalidated, the bundle comes from the cache.
  await page.goto('/');
  await waitForHydration(page);
  const repeatVisit = await wasmTransferred(page);
  expect(repeatVisit.urls.length).toBeGreaterThan(0);
  expect(repeatVisit.bytes).toBe(0);
});
