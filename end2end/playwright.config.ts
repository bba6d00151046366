import { defineConfig, devices } from '@playwright/test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Where the suite talks to the shop. The server is started on this address. */
const baseURL = (process.env.E2E_BASE_URL ?? 'http://127.0.0.1:3100').replace(/\/+$/, '');
const siteAddr = new URL(baseURL).host;

/** The repository root: the server resolves `target/site` relative to it. */
const repoRoot = path.resolve(__dirname, '..');
const serverBin = process.env.E2E_SERVER_BIN ?? './target/debug/server';

/**
 * A fresh SQLite database for every run. The config is also evaluated inside each worker
 * process; only the runner (no TEST_WORKER_INDEX) starts the server, so only it makes the
 * directory. It is removed when the runner exits, after the server has been stopped.
 */
function freshDatabaseUrl(): string {
  if (process.env.TEST_WORKER_INDEX !== undefined) {
    return 'sqlite://unused-in-worker.db';
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'retail-e2e-'));
  if (!process.env.E2E_KEEP_DB) {
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  }
  return `sqlite://${path.join(dir, 'e2e.db')}`;
}

/** Specs that change state the whole shop shares; they run after the others, one at a time. */
const EXCLUSIVE = [/dashboard\.spec\.ts/, /shop\.spec\.ts/];

/** Debian's chromium; Playwright's own browser download is not available here. */
const browser = {
  ...devices['Desktop Chrome'],
  launchOptions: {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  },
};

export default defineConfig({
  testDir: './tests',
  fullyParallel: false,
  workers: 2,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: 'list',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  use: {
    baseURL,
    trace: 'retain-on-failure',
  },
  projects: [
    // Specs that leave the shop as other specs expect it run two at a time (a file's tests in
    // order); those that change what every page sees (payment faults, the checkout throttle,
    // the dashboard's live figures, a server restart) run afterwards, alone.
    { name: 'chromium', testIgnore: EXCLUSIVE, use: browser },
    { name: 'exclusive', testMatch: EXCLUSIVE, use: browser, dependencies: ['chromium'], workers: 1 },
  ],
  webServer: {
    command: serverBin,
    cwd: repoRoot,
    url: `${baseURL}/health`,
    reuseExistingServer: false,
    timeout: 60_000,
    // Start-up and configuration errors go to stderr; the per-request log lines on stdout
    // are only shown when asked for (E2E_SERVER_LOGS=1).
    stdout: process.env.E2E_SERVER_LOGS ? 'pipe' : 'ignore',
    stderr: 'pipe',
    env: {
      APP_ENV: 'development',
      LEPTOS_SITE_ADDR: siteAddr,
      // Not needed by the browser tests; off, so a dev server's metrics port does not clash.
      METRICS_ADDR: 'off',
      // E2E_SITE_ROOT: a copy of the built site (with E2E_SERVER_BIN), so parallel builds do not race it.
      LEPTOS_SITE_ROOT: process.env.E2E_SITE_ROOT ?? 'target/site',
      LEPTOS_OUTPUT_NAME: 'retail',
      DATABASE_URL: freshDatabaseUrl(),
      DEMO_SEED: '1',
      LOGIN_RATE_LIMIT_PER_MINUTE: '0',
      SUPER_ADMIN_PASSWORD: 'e2e-super-admin-1',
      COOKIE_SECURE: '0',
      // Resilience flows settle quickly: no checkout throttle unless a test sets one through
      // the admin API, a short breaker cool-down and a fast payment retry worker.
      THROTTLING_MAX_RPS: '0',
      BREAKER_OPEN_SECONDS: '1',
      PAYMENT_JOB_BACKOFF_MS: '200',
      PAYMENT_WORKER_POLL_MS: '100',
    },
  },
});
