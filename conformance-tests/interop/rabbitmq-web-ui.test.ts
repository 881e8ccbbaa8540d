/**
 * RabbitMQ's own management web UI against our API, in a real browser: the best test of the API's completeness.
 * The UI's static files are the ones Debian's rabbitmq-server package ships (the management plugin's priv/www); they
 * are served from there, never copied into this repository, by a small server that passes /api/* to the API under
 * test. Chromium (Debian's, driven by playwright-core) logs in and opens every page; a page passes when it renders
 * its content with no uncaught script error, no failed API request and no error popup.
 *
 * The API's address: MANAGEMENT_URL when set (run-against-rabbitmq.sh sets it), else the Leveret the suite started.
 * Needs the rabbitmq-server and chromium Debian packages; run with `npm run test:interop`.
 */
import { readFileSync, readdirSync, existsSync, statSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import * as amqp from 'amqplib';
import { chromium, type Browser, type Page } from 'playwright-core';
import { useBroker, uniqueName, type BrokerHandle } from '../support/broker';

const CHROMIUM = '/usr/bin/chromium';
const BASIC = { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` };
jest.setTimeout(60000);

/** The management plugin's priv/www in Debian's rabbitmq-server package. */
function webRoot(): string {
  const lib = '/usr/lib/rabbitmq/lib';
  for (const server of existsSync(lib) ? readdirSync(lib) : []) {
    const plugins = join(lib, server, 'plugins');
    for (const plugin of existsSync(plugins) ? readdirSync(plugins) : []) {
      const www = join(plugins, plugin, 'priv', 'www');
      if (/^rabbitmq_management-\d/.test(plugin) && existsSync(join(www, 'index.html'))) return www;
    }
  }
  throw new Error('the rabbitmq-server Debian package (its management plugin priv/www) is not installed');
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'application/javascript',
  '.css': 'text/css',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.ejs': 'text/plain; charset=utf-8',
};

/** Static files from `root`, and /api/* passed to `api` as they came (method, headers, body), as a reverse proxy would. */
function uiServer(root: string, api: URL): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] as string;
    if (path.startsWith('/api/') || path === '/api') {
      const upstream = http.request(
        // As a reverse proxy does: the API sees the page's own host in X-Forwarded-Host, so the page is not another site.
        {
          host: api.hostname,
          port: api.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: api.host, 'x-forwarded-host': req.headers.host ?? '' },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      req.pipe(upstream);
      return;
    }
    const file = normalize(join(root, path === '/' ? 'index.html' : decodeURIComponent(path)));
    if (!file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

interface Problems {
  scriptErrors: string[];
  failedRequests: string[];
}

describe("RabbitMQ's management web UI", () => {
  let broker: BrokerHandle;
  let server: http.Server;
  let browser: Browser;
  let page: Page;
  let base: string;
  let conn: amqp.ChannelModel;
  const queue = uniqueName('web-ui');
  const problems: Problems = { scriptErrors: [], failedRequests: [] };

  beforeAll(async () => {
    broker = await useBroker();
    const apiBase = process.env.MANAGEMENT_URL || broker.httpUrl;
    if (apiBase === undefined || apiBase === '') throw new Error('the web UI needs the management API: set MANAGEMENT_URL');
    server = await uiServer(webRoot(), new URL(apiBase));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // Something on every page: a connection, a channel, a consumer on a queue with a message.
    conn = await amqp.connect(broker.url, { clientProperties: { connection_name: 'web-ui-test' } });
    const ch = await conn.createChannel();
    await ch.assertQueue(queue, { durable: false });
    ch.sendToQueue(queue, Buffer.from('hello'));
    await ch.consume(queue, () => undefined, { noAck: false });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage();
    page.on('pageerror', (err) => problems.scriptErrors.push(`${page.url()}: ${err.message}`));
    page.on('response', (res) => {
      if (res.url().includes('/api/') && res.status() >= 400) {
        problems.failedRequests.push(`${res.request().method()} ${res.url().replace(base, '')} -> ${res.status()}`);
      }
    });
  }, 60000);

  afterAll(async () => {
    await browser?.close();
    await conn?.close().catch(() => undefined);
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await broker?.close();
  });

  /** Opens `hash`, waits for the UI to render it; returns what went wrong meanwhile. */
  async function visit(hash: string, expectText: string | RegExp): Promise<Problems & { popup?: string }> {
    problems.scriptErrors.length = 0;
    problems.failedRequests.length = 0;
    await page.goto(`${base}/#${hash}`);
    await page.getByText(expectText).first().waitFor({ timeout: 10000 });
    // The UI refreshes by timer and loads sub-resources after the first paint: let it settle.
    await page.waitForTimeout(1500);
    const popup = await page
      .locator('.form-popup-warn:visible')
      .first()
      .textContent({ timeout: 200 })
      .catch(() => undefined);
    return { scriptErrors: [...problems.scriptErrors], failedRequests: [...problems.failedRequests], ...(popup ? { popup } : {}) };
  }

  const clean = { scriptErrors: [], failedRequests: [] };

  test('logs in with guest/guest and shows the overview', async () => {
    await page.goto(`${base}/`);
    await page.locator('input[name="username"]').fill('guest');
    await page.locator('input[name="password"]').fill('guest');
    await page.locator('input[type="submit"]').click();
    await page.getByText('Totals').first().waitFor({ timeout: 15000 });
    expect(await visit('/', 'Totals')).toEqual(clean);
  });

  const pages: Array<[string, string | RegExp]> = [
    ['/connections', 'web-ui-test'],
    ['/channels', / \(1\)$/],
    ['/exchanges', 'amq.topic'],
    ['/exchanges/%2F/amq.direct', 'Bindings'],
    ['/queues', queue],
    [`/queues/%2F/${queue}`, 'Consumers'],
    ['/users', 'guest'],
    ['/users/guest', 'Permissions'],
    ['/vhosts', 'Virtual Hosts'],
    ['/vhosts/%2F', 'Permissions'],
    ['/feature-flags', 'Feature Flags'],
    ['/policies', 'User policies'],
    ['/limits', 'Virtual host limits'],
  ];
  test.each(pages)('page #%s renders without an error', async (hash, text) => {
    expect(await visit(hash, text)).toEqual(clean);
  });

  test("a connection's and a channel's own pages render", async () => {
    await visit('/connections', 'web-ui-test');
    problems.scriptErrors.length = 0;
    problems.failedRequests.length = 0;
    await page.locator('#main a[href^="#/connections/"]').first().click();
    await page.getByText('Client properties').first().waitFor({ timeout: 10000 });
    await page.waitForTimeout(1500);
    await page.locator('#main a[href^="#/channels/"]').first().click();
    await page.getByText('Prefetch count').first().waitFor({ timeout: 10000 });
    await page.waitForTimeout(1500);
    expect({ scriptErrors: problems.scriptErrors, failedRequests: problems.failedRequests }).toEqual(clean);
  });
  test("the node's page renders", async () => {
    const overview = (await (await page.request.get(`${base}/api/overview`, { headers: BASIC })).json()) as { node: string };
    expect(await visit(`/nodes/${encodeURIComponent(overview.node)}`, 'Process')).toEqual(clean);
  });

  test('a queue added with the form; a message published and fetched on its page', async () => {
    const added = uniqueName('web-ui-added');
    await visit('/queues', queue);
    await page.getByRole('heading', { name: 'Add a new queue' }).click();
    const form = page.locator('form[action="#/queues"]');
    await form.locator('input[name="name"]').fill(added);
    await form.locator('input[type="submit"]').click();
    await page.getByRole('link', { name: added }).first().waitFor({ timeout: 10000 });
    try {
      const queuePage = await visit(`/queues/%2F/${encodeURIComponent(added)}`, 'Publish message');
      await page.getByRole('heading', { name: 'Publish message' }).click();
      await page.locator('form[action="#/exchanges/publish"] textarea[name="payload"]').fill('from the web UI');
      await page.locator('form[action="#/exchanges/publish"] input[type="submit"]').click();
      await page.getByText('Message published').first().waitFor({ timeout: 10000 });
      await page.locator('.form-popup-info span').first().click();
      await page.getByRole('heading', { name: 'Get messages' }).click();
      await page.locator('input[type="submit"][value="Get Message(s)"]').click();
      await page.getByText('from the web UI').first().waitFor({ timeout: 10000 });
      await page.waitForTimeout(500);
      expect(queuePage).toEqual(clean);
      expect({ scriptErrors: problems.scriptErrors, failedRequests: problems.failedRequests }).toEqual(clean);
    } finally {
      const ch = await conn.createChannel();
      await ch.deleteQueue(added);
      await ch.close();
    }
  });

  test('definitions: the download is a JSON file with our queue in it; the same file uploads back', async () => {
    await visit('/', 'Totals');
    await page.getByRole('heading', { name: 'Export definitions' }).click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#download-definitions').click()]);
    const text = readFileSync(await download.path(), 'utf8');
    const definitions = JSON.parse(text) as { queues: Array<{ name: string }> };
    expect(definitions.queues.map((q) => q.name)).toContain(queue);
    await page.getByRole('heading', { name: 'Import definitions' }).click();
    await page.locator('input[type="file"][name="file"]').setInputFiles({ name: 'definitions.json', mimeType: 'application/json', buffer: Buffer.from(text) });
    page.once('dialog', (dialog) => void dialog.accept()); // "Are you sure you want to import ...?"
    await page.locator('input[type="submit"][value="Upload broker definitions"]').click();
    await page.getByText(/imported successfully/i).first().waitFor({ timeout: 10000 });
    expect({ scriptErrors: problems.scriptErrors, failedRequests: problems.failedRequests }).toEqual(clean);
  });
});
