/**
 * The web admin UI's figures (issue 14): the bundle the first page loads, the time from navigation to a usable page
 * for every main page, and the queue list with 10,000 queues. A real broker in-process, Debian's chromium, loopback.
 *
 *   npm run bench:ui            (node -r ./bench/ts-register.cjs bench/ui.ts [--runs N] [--queues N])
 *
 * "Usable" is measured in the page, from its navigation start (performance.now()): the page's heading is shown, no
 * "Loading…" is left in it, and a list has its rows (or its empty line). Each page is loaded `runs` times, each a full
 * load in a logged-in tab with a warm HTTP cache, as a user moving around the UI has; the median is printed.
 */
import * as amqp from 'amqplib';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { builtUi, launchBrowser, login, openPage, startUiBroker } from '../admin-ui/e2e/support/harness';

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  return at === -1 ? fallback : Number(process.argv[at + 1]);
}

const RUNS = arg('--runs', 7);
const QUEUES = arg('--queues', 10_000);

/**
 * True once the page is usable; records the moment in window.__usableAt (ms since navigation start). A function, not
 * a string: the UI's CSP forbids eval, which Playwright would use for a string.
 */
function usable(): boolean {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const g = globalThis as any;
  const main = g.document.querySelector('main');
  if (!main || !main.querySelector('h1')) return false;
  if (String(main.textContent).includes('Loading…')) return false;
  const grid = main.querySelector('table.grid tbody');
  if (grid && grid.children.length === 0) return false;
  g.__usableAt ??= g.performance.now();
  return true;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function main(): Promise<void> {
  const ui = await startUiBroker();
  const browser = await launchBrowser();
  const conn = await amqp.connect(ui.broker.url);
  try {
    const dir = await builtUi();
    const index = readFileSync(join(dir, 'index.html'), 'utf8');
    const firstPage = [...index.matchAll(/(?:src|href)="\/assets\/([^"]+\.js)"/g)].map((m) => m[1] as string);
    const gz = (name: string) => gzipSync(readFileSync(join(dir, 'assets', name)), { level: 9 }).length;
    const assets = readdirSync(join(dir, 'assets')).filter((f) => /\.(js|css)$/.test(f));
    console.log('== bundle ==');
    console.log(`first page JavaScript: ${firstPage.map((f) => `${f} ${gz(f)} B`).join(', ')} = ${firstPage.reduce((s, f) => s + gz(f), 0)} B gzip`);
    const all = assets.reduce((s, f) => s + gz(f), 0);
    console.log(`all JavaScript and CSS: ${assets.length} files, ${all} B gzip, ${assets.reduce((s, f) => s + statSync(join(dir, 'assets', f)).size, 0)} B raw`);

    // Something on every page.
    const ch = await conn.createChannel();
    await ch.assertExchange('bench.x', 'topic');
    await ch.assertQueue('bench q');
    await ch.bindQueue('bench q', 'bench.x', '#');
    for (let i = 0; i < 100; i++) ch.publish('bench.x', 'k', Buffer.from(`m${i}`));
    await ch.consume('bench q', () => undefined, { noAck: false });

    const w = await openPage(browser, ui.base);
    await login(w, ui.base);
    const pages = ['#/', '#/connections', '#/channels', '#/exchanges', '#/queues', '#/queues/%2F/bench%20q', '#/exchanges/%2F/bench.x', '#/admin/users', '#/admin/vhosts', '#/admin/policies'];
    // What a first visit to each page downloads: every script it loads (static and page chunks, uPlot where a chart
    // is drawn), in a fresh browser context with an empty cache, counted as gzip.
    console.log('== JavaScript a first visit loads, gzip ==');
    for (const hash of ['#/', '#/queues', '#/queues/%2F/bench%20q', '#/admin/users']) {
      const fresh = await openPage(browser, ui.base);
      const scripts = new Set<string>();
      fresh.page.on('response', (r) => {
        const m = /\/assets\/([^/?]+\.js)$/.exec(r.url());
        if (m !== null) scripts.add(m[1] as string);
      });
      await login(fresh, ui.base, 'guest', 'guest', hash);
      await fresh.page.waitForFunction(usable, undefined, { polling: 'raf', timeout: 10_000 });
      await fresh.page.waitForTimeout(500);
      const total = [...scripts].reduce((sum, f) => sum + gz(f), 0);
      console.log(`${hash.padEnd(28)} ${String(total).padStart(6)} B in ${scripts.size} files`);
      await fresh.close();
    }

    console.log(`== time to a usable page (median of ${RUNS} full loads, ms) ==`);
    for (const hash of pages) {
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        await w.page.goto('about:blank');
        await w.page.goto(`${ui.base}/${hash}`);
        await w.page.waitForFunction(usable, undefined, { polling: 'raf', timeout: 10_000 });
        times.push(Number(await w.page.evaluate(() => (globalThis as unknown as { __usableAt: number }).__usableAt)));
      }
      console.log(`${hash.padEnd(28)} ${median(times).toFixed(0).padStart(5)}   (${times.map((t) => t.toFixed(0)).join(' ')})`);
    }

    console.log(`== ${QUEUES.toLocaleString('en-US')} queues ==`);
    const started = Date.now();
    for (let i = 0; i < QUEUES; i++) void ch.assertQueue(`load-${String(i).padStart(5, '0')}`, { durable: false });
    await ch.assertQueue('load-sync');
    console.log(`declared in ${Date.now() - started} ms`);
    const views: Array<[string, string]> = [
      ['first page of all queues', '#/queues'],
      ['regex filter', '#/queues?name=load-0%5B0-4%5D.*7%24&regex=1'],
      ['page 3 of 500', '#/queues?page=3&size=500'],
      ['sorted by messages, descending', '#/queues?sort=messages&desc=1'],
    ];
    for (const [label, hash] of views) {
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        await w.page.goto('about:blank');
        await w.page.goto(`${ui.base}/${hash}`);
        await w.page.waitForFunction(usable, undefined, { polling: 'raf', timeout: 10_000 });
        times.push(Number(await w.page.evaluate(() => (globalThis as unknown as { __usableAt: number }).__usableAt)));
      }
      const rows = await w.page.locator('main table.grid tbody tr').count();
      console.log(`${label.padEnd(32)} ${median(times).toFixed(0).padStart(5)} ms  ${rows} rows   (${times.map((t) => t.toFixed(0)).join(' ')})`);
    }
    const api = Date.now();
    await fetch(`${ui.base}/api/queues?page=1&page_size=100&pagination=true`, { headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` } });
    console.log(`API alone, first page of ${QUEUES} queues: ${Date.now() - api} ms`);
    if (w.problems.length > 0) console.log(`problems seen: ${w.problems.join('; ')}`);
    await w.close();
  } finally {
    await conn.close().catch(() => undefined);
    await browser.close();
    await ui.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
