import { chromium } from 'playwright';
// Signs in as the demo customer alice and opens the lazily loaded pages one after another,
// printing the WASM files each fetched and the bytes each crossed the network (0: cached), and any
// console warning or error. Needs a running demo server:
//   node end2end/measure-lazy-pages.mjs http://127.0.0.1:3512
const base = process.argv[2] ?? "http://127.0.0.1:3000";
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless','--no-sandbox'] });
const page = await (await browser.newContext()).newPage();
page.on('console', (m) => { if (m.type()==='warning'||m.type()==='error') console.log('console', m.type(), m.text()); });
page.on('pageerror', (e) => console.log('page error', String(e)));
await page.goto(base + '/login');
await page.locator('div.app[data-hydrated="true"]').waitFor();
await page.fill('input[name="username"]', 'alice');
await page.fill('input[name="password"]', 'alice-demo-2026');
await page.click('button[type="submit"]');
await page.waitForURL(u => !u.pathname.startsWith('/login'));
for (const path of ['/orders', '/returns', '/account', '/returns/new']) {
  await page.goto(base + path);
  await page.locator('div.app[data-hydrated="true"]').waitFor({ timeout: 10000 });
  const files = await page.evaluate(() => performance.getEntriesByType('resource').filter(e => e.name.endsWith('.wasm')).map(e => new URL(e.name).pathname.split('/').pop().slice(0, 40) + ':' + e.transferSize));
  console.log(path, 'hydrated; h1=', await page.locator('h1').first().textContent(), files.join(' '));
}
// client-side navigation: storefront then click nav link to orders
await page.goto(base + '/');
await page.locator('div.app[data-hydrated="true"]').waitFor();
await page.click('a[href="/orders"]');
await page.waitForURL('**/orders');
await page.waitForTimeout(1500);
console.log('client nav /orders h1=', await page.locator('h1').first().textContent());
await browser.close();
