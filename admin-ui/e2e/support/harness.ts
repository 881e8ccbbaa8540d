/**
 * The admin UI's end-to-end harness: builds the UI once per test process (admin-ui/build.mjs, into a temp dir),
 * starts a real in-process broker that serves it, and drives Debian's chromium through playwright-core. Every page
 * opened through `openPage` records what must never happen: a console error (CSP violations are logged as errors),
 * an uncaught script error, a failed API request other than those a test expects, and any request to another origin.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startBroker, type BrokerOptions, type RunningBroker } from '../../../src/broker';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = join(__dirname, '..', '..', '..', '.tmp', 'ui-screenshots');

let built: Promise<string> | undefined;

/** The UI built into a temp dir (once per jest worker); the same build `npm run build` makes. */
export function builtUi(): Promise<string> {
  built ??= (async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'leveret-ui-'));
    // build.mjs is an ES module, which jest's module system cannot import: it runs as its own process.
    await new Promise<void>((resolve, reject) =>
      execFile(process.execPath, [join(__dirname, '..', '..', 'build.mjs'), '--out', outDir, '--quiet'], (err, _out, stderr) =>
        err === null ? resolve() : reject(new Error(`admin-ui/build.mjs failed: ${stderr}`)),
      ),
    );
    process.on('exit', () => rmSync(outDir, { recursive: true, force: true }));
    return outDir;
  })();
  return built;
}

export interface UiBroker {
  readonly broker: RunningBroker;
  /** http://127.0.0.1:port of the management port, which serves the UI at `/`. */
  readonly base: string;
  close(): Promise<void>;
}

export async function startUiBroker(options: BrokerOptions = {}): Promise<UiBroker> {
  const uiDir = await builtUi();
  const broker = await startBroker({ port: 0, logLevel: 'warn', ...options, uiDir });
  return { broker, base: broker.httpUrl.replace('localhost', '127.0.0.1'), close: () => broker.close() };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

/** The broker and browser a test file shares (useUi); read them inside hooks and tests, once they have started. */
export interface LiveUi {
  readonly ui: UiBroker;
  readonly browser: Browser;
}

/**
 * Starts a UI broker and a browser before the file's (or describe block's) tests and closes both after them: the
 * setup every e2e file shares. A file that needs more adds its own beforeAll after calling this (the hooks run in
 * the order they are declared, so the broker is up by then); an afterAll that must run while the broker is still
 * up (closing an AMQP connection) is declared before calling this.
 */
export function useUi(options: BrokerOptions = {}): LiveUi {
  let ui: UiBroker | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    ui = await startUiBroker(options);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await ui?.close();
  });
  return {
    get ui(): UiBroker {
      if (ui === undefined) throw new Error('useUi: the broker has not started (read it inside a hook or test)');
      return ui;
    },
    get browser(): Browser {
      if (browser === undefined) throw new Error('useUi: the browser has not started (read it inside a hook or test)');
      return browser;
    },
  };
}

export interface WatchedPage {
  readonly page: Page;
  readonly context: BrowserContext;
  /** Everything that went wrong so far, as lines; a test expects it empty. */
  readonly problems: string[];
  /** API statuses a test expects to fail (e.g. 401 before login), as 'METHOD /api/path -> status' prefixes. */
  readonly allowFailures: string[];
  close(): Promise<void>;
}

/** A fresh browser context (no cookies) with a page that records problems. */
export async function openPage(browser: Browser, base: string): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const origin = new URL(base).origin;
  const problems: string[] = [];
  const allowFailures: string[] = [];
  page.on('console', (msg) => {
    // A failed request is also logged to the console; the response listener below judges those.
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource: the server responded with a status of')) problems.push(`console error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`script error: ${err.message}`));
  page.on('request', (req) => {
    const url = req.url();
    if (url.startsWith('data:') || url.startsWith('blob:')) return;
    if (new URL(url).origin !== origin) problems.push(`request to another origin: ${url}`);
  });
  page.on('response', (res) => {
    if (res.status() < 400) return;
    const line = `${res.request().method()} ${res.url().replace(origin, '')} -> ${res.status()}`;
    if (!allowFailures.some((prefix) => line.startsWith(prefix))) problems.push(`failed request: ${line}`);
  });
  // Chromium logs a CSP violation as a console error; this catches one even if it did not.
  await page.addInitScript(
    "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));",
  );
  return { page, context, problems, allowFailures, close: () => context.close() };
}

/** Opens the UI and logs in through its form; waits for the navigation to show. */
export async function login(w: WatchedPage, base: string, user = 'guest', password = 'guest', hash = '#/'): Promise<void> {
  await w.page.goto(`${base}/${hash}`);
  await w.page.getByLabel('Username').fill(user);
  await w.page.getByLabel('Password').fill(password);
  await w.page.getByRole('button', { name: 'Log in' }).click();
  await w.page.getByRole('navigation', { name: 'Main' }).waitFor();
}

/** Saves a screenshot under .tmp/ui-screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** HTTP Basic for guest, for setting up state through the API directly. */
export const GUEST = { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` };

/** A JSON request to the API as guest (test setup); throws on a status >= 400. */
export async function apiCall(base: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...GUEST, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (response.status >= 400) throw new Error(`${method} ${path} -> ${response.status}: ${text}`);
  return text === '' ? undefined : JSON.parse(text);
}
