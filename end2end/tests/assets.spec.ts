import { expect, test, type Page } from '@playwright/test';
import { waitForHydration } from './helpers';

type Fetched = { path: string; transferSize: number; decodedBodySize: number };

/** The bundle files (under /pkg/) the page fetched, with the bytes that crossed the network. */
async function bundleFiles(page: Page): Promise<Fetched[]> {
  return page.evaluate(() =>
    (performance.getEntriesByType('resource') as PerformanceResourceTiming[])
      .filter((e) => new URL(e.name).pathname.startsWith('/pkg/'))
      .map((e) => ({ path: new URL(e.name).pathname, transferSize: e.transferSize, decodedBodySize: e.decodedBodySize })),
  );
}

/**
 * Chromium keeps a fresh (incognito-like) context's cache in memory and skips entries above a
 * few MB: a debug build's main WASM (~8 MB with the lazily loaded pages split off) is not kept
 * there, a release one (~1 MB) is. The repeat-visit figure for the release WASM is measured by
 * end2end/measure-wasm.mjs (docs/performance.md).
 */
const CACHEABLE_IN_MEMORY = 4 * 1024 * 1024;

test('the bundle has hashed names, is cached for good, and a repeat visit fetches none of it', async ({ page }) => {
  const first = await page.goto('/');
  expect(first?.headers()['cache-control']).toBe('private, no-cache');
  expect(first?.headers()['etag']).toMatch(/^W\/"[0-9a-f]{32}"$/);
  await waitForHydration(page);
  const firstVisit = await bundleFiles(page);
  for (const ext of ['.js', '.wasm', '.css']) {
    const files = firstVisit.filter((f) => f.path.endsWith(ext));
    expect(files.length, `the page loads a ${ext} file`).toBeGreaterThan(0);
    for (const file of files) {
      // The bundle, and the loader of the lazily loaded pages' chunks (`cargo leptos build --split`).
      expect(file.path).toMatch(/^\/pkg\/(retail|__wasm_split)\.[A-Za-z0-9_-]{22}\.(js|wasm|css)$/);
      expect(file.transferSize, `${file.path} is downloaded on the first visit`).toBeGreaterThan(0);
      const response = await page.request.get(file.path);
      expect(response.headers()['cache-control']).toBe('public, max-age=31536000, immutable');
    }
  }

  // A new page load in the same browser: the page is revalidated, the bundle comes from the cache.
  await page.goto('/');
  await waitForHydration(page);
  const repeatVisit = await bundleFiles(page);
  expect(repeatVisit.length).toBeGreaterThan(0);
  for (const file of repeatVisit) {
    if (file.path.endsWith('.wasm') && file.decodedBodySize > CACHEABLE_IN_MEMORY) {
      test.info().annotations.push({ type: 'note', description: `${file.path}: ${file.decodedBodySize} B, a debug build` });
      continue;
    }
    expect(file.transferSize, `${file.path} comes from the browser cache`).toBe(0);
  }
});
