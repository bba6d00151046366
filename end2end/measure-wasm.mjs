// Loads a page twice in one headless Chromium profile and prints the WASM bytes transferred on
// each visit (Resource Timing transferSize: bytes on the wire, headers included, after
// compression; 0 when the bundle came from the browser cache), and any console warning or
// error (a hydration mismatch shows there). Needs a running server:
//   node end2end/measure-wasm.mjs http://127.0.0.1:3000/
import { chromium } from 'playwright';

const url = process.argv[2] ?? 'http://127.0.0.1:3000/';
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic'],
});
let failed = false;
try {
  const page = await (await browser.newContext()).newPage();
  page.on('console', (m) => {
    if ((m.type() === 'warning' || m.type() === 'error') && !/favicon/i.test(m.text() + (m.location().url ?? ''))) {
      console.log(`console ${m.type()}: ${m.text()}`);
      failed = true;
    }
  });
  page.on('pageerror', (e) => {
    console.log(`page error: ${e}`);
    failed = true;
  });
  for (const visit of ['first visit', 'repeat visit']) {
    await page.goto(url);
    await page.locator('div.app[data-hydrated="true"]').waitFor();
    const wasm = await page.evaluate(() =>
      performance
        .getEntriesByType('resource')
        .filter((e) => new URL(e.name).pathname.endsWith('.wasm'))
        .map((e) => ({ url: e.name, transferSize: e.transferSize, decodedBodySize: e.decodedBodySize })),
    );
    const bytes = wasm.reduce((sum, e) => sum + e.transferSize, 0);
    console.log(`${visit}: ${bytes} WASM bytes transferred ${JSON.stringify(wasm)}`);
  }
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
