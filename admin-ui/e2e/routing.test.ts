/**
 * The routing page in a real browser: from an exchange's page, "Where would it go?" opens the preview with the
 * exchange filled in; the preview lists the queues a message would reach and the path to each, hop by hop, and a
 * real publish lands in exactly those; the topology of a vhost with a few hundred entities is drawn as SVG, the
 * filter keeps only what is connected to a match, and a click highlights the paths through an entity.
 */
import * as amqp from 'amqplib';
import { apiCall, login, openPage, screenshot, useUi } from './support/harness';

jest.setTimeout(90000);

let connection: amqp.ChannelModel;
let channel: amqp.Channel;

// Declared before useUi so that it runs first, while the broker is still up.
afterAll(async () => {
  await connection?.close();
});
const env = useUi();

const REGIONS = 40;

beforeAll(async () => {
  connection = await amqp.connect(env.ui.broker.url);
  channel = await connection.createChannel();
  await channel.assertExchange('rt.orders', 'topic');
  await channel.assertExchange('rt.eu', 'direct');
  await channel.assertExchange('rt.audit', 'fanout', { internal: true });
  await channel.assertQueue('rt.eu-q');
  await channel.assertQueue('rt.all-q');
  await channel.assertQueue('rt.audit-q');
  await channel.bindExchange('rt.eu', 'rt.orders', 'eu.*');
  await channel.bindQueue('rt.eu-q', 'rt.eu', 'eu.new');
  await channel.bindQueue('rt.all-q', 'rt.orders', '#');
  await channel.bindExchange('rt.audit', 'rt.orders', '*.new');
  await channel.bindQueue('rt.audit-q', 'rt.audit', '');
  // A few hundred more entities: per region an exchange bound from a hub, and three queues.
  await channel.assertExchange('hub', 'topic');
  for (let i = 0; i < REGIONS; i++) {
    const x = `region-${i}`;
    await channel.assertExchange(x, 'direct');
    await channel.bindExchange(x, 'hub', `r${i}.#`);
    for (const kind of ['orders', 'invoices', 'returns']) {
      await channel.assertQueue(`${x}.${kind}`);
      await channel.bindQueue(`${x}.${kind}`, x, kind);
    }
  }
});

test('preview from the exchange page, the path to each queue, and the topology with a filter and a highlight', async () => {
  const w = await openPage(env.browser, env.ui.base);
  try {
    await login(w, env.ui.base, 'guest', 'guest', '#/exchanges/%2F/rt.orders');
    const page = w.page;
    await page.getByRole('link', { name: 'Where would it go?' }).click();
    await page.getByRole('heading', { name: 'Routing' }).waitFor();
    await expectValue(page.getByLabel('Exchange', { exact: true }), 'rt.orders');

    await page.getByLabel('Routing key').fill('eu.new');
    await page.getByRole('button', { name: 'Show the route' }).click();
    const result = page.locator('.route-result');
    await result.getByText('Reaches 3 queues').waitFor();
    const reached = (await result.locator('.route-queue > strong a').allTextContents()).sort();
    // rt.audit is internal: no client may publish to it, but rt.orders hands it what matches '*.new'.
    expect(reached).toEqual(['rt.all-q', 'rt.audit-q', 'rt.eu-q']);
    // The path to rt.eu-q: rt.orders (binding eu.*) -> rt.eu (binding eu.new) -> the queue, each a link.
    const euPath = result.locator('.route-queue', { has: page.getByRole('link', { name: 'rt.eu-q', exact: true }) }).locator('.route-chain').first();
    expect(await euPath.locator('li').allTextContents()).toEqual([
      'rt.orders (topic) binding eu.* →',
      'rt.eu (direct) binding eu.new →',
      'queue rt.eu-q',
    ]);
    expect(await euPath.getByRole('link', { name: 'rt.eu', exact: true }).getAttribute('href')).toBe('#/exchanges/%2F/rt.eu');
    // A real publish lands in exactly those queues.
    await channel.purgeQueue('rt.eu-q');
    await channel.purgeQueue('rt.all-q');
    await channel.purgeQueue('rt.audit-q');
    channel.publish('rt.orders', 'eu.new', Buffer.from('probe'));
    const counts = async (): Promise<number[]> =>
      Promise.all(['rt.all-q', 'rt.eu-q', 'rt.audit-q'].map(async (q) => (await channel.checkQueue(q)).messageCount));
    for (let i = 0; i < 50 && (await counts()).reduce((a, b) => a + b, 0) < 3; i++) await page.waitForTimeout(20);
    expect(await counts()).toEqual([1, 1, 1]);

    // The URL keeps the form's exchange and key.
    expect(new URL(page.url()).hash).toContain('exchange=rt.orders');

    // Topology: every exchange (but the default) and every queue as an SVG node.
    const topology = (await apiCall(env.ui.base, 'GET', '/api/leveret/topology/%2F')) as { exchanges: unknown[]; queues: unknown[] };
    const total = topology.exchanges.length + topology.queues.length;
    expect(total).toBeGreaterThan(REGIONS * 4);
    const svg = page.locator('svg.topo-svg');
    await svg.waitFor();
    await untilCount(page.locator('svg.topo-svg g.topo-node'), total);
    expect(await page.locator('svg.topo-svg path.topo-edge').count()).toBeGreaterThan(REGIONS * 4);
    await page.getByRole('status').getByText(`${total} of ${total} entities shown`).waitFor();

    // The filter keeps the matches and what they connect to: region-7's exchange and queues, and the hub.
    await page.getByPlaceholder('name or regex').fill('region-7.invoices');
    await untilCount(page.locator('svg.topo-svg g.topo-node'), 3);
    expect((await page.locator('svg.topo-svg g.topo-node').evaluateAll((els) => els.map((e) => e.getAttribute('data-name')))).sort()).toEqual([
      'hub',
      'region-7',
      'region-7.invoices',
    ]);
    expect(new URL(page.url()).hash).toContain('filter=region-7.invoices');
    await page.getByRole('checkbox', { name: 'Regex' }).check();
    await page.getByPlaceholder('name or regex').fill('^rt\\.(eu|audit)-q$');
    await untilCount(page.locator('svg.topo-svg g.topo-node'), 5);

    // A click highlights the paths through the entity, and links to it.
    await page.getByRole('button', { name: 'exchange rt.eu', exact: true }).click();
    await page.locator('.topo-selected').getByRole('link', { name: 'rt.eu', exact: true }).waitFor();
    expect(await page.locator('svg.topo-svg g.topo-node.topo-chosen').count()).toBe(1);
    const lit = await page.locator('svg.topo-svg g.topo-node.topo-lit').evaluateAll((els) => els.map((e) => e.getAttribute('data-name')));
    expect(lit.sort()).toEqual(['rt.eu-q', 'rt.orders']);
    expect(await page.locator('svg.topo-svg path.topo-edge.topo-lit').count()).toBe(2);
    expect(await page.locator('svg.topo-svg g.topo-node.topo-dim').count()).toBe(2);
    await screenshot(page, 'routing');
    expect(w.problems).toEqual([]);
  } finally {
    await w.close();
  }
});

test('an internal exchange, an unknown exchange and the default exchange in the preview', async () => {
  const w = await openPage(env.browser, env.ui.base);
  try {
    await login(w, env.ui.base, 'guest', 'guest', '#/routing?vhost=%2F&exchange=rt.audit');
    const page = w.page;
    await page.getByRole('button', { name: 'Show the route' }).click();
    await page.getByText("A publish to this exchange is refused: ACCESS_REFUSED - cannot publish to internal exchange 'rt.audit' in vhost '/'").waitFor();

    w.allowFailures.push('POST /api/leveret/route -> 404');
    await page.getByLabel('Exchange', { exact: true }).fill('no-such-x');
    await page.getByRole('button', { name: 'Show the route' }).click();
    await page.getByText("NOT_FOUND - no exchange 'no-such-x' in vhost '/' (404)").waitFor();

    await page.getByLabel('Exchange', { exact: true }).fill('');
    await page.getByLabel('Routing key').fill('rt.eu-q');
    await page.getByRole('button', { name: 'Show the route' }).click();
    await page.locator('.route-result').getByText('Reaches 1 queue').waitFor();
    expect(await page.locator('.route-chain li').allTextContents()).toEqual(['(AMQP default) (direct) default exchange, key = queue name →', 'queue rt.eu-q']);
    expect(w.problems).toEqual([]);
  } finally {
    await w.close();
  }
});

test('a user without write permission on the exchange is refused, and stays logged in', async () => {
  await apiCall(env.ui.base, 'PUT', '/api/users/rt-viewer', { password: 'pw', tags: 'management' });
  await apiCall(env.ui.base, 'PUT', '/api/permissions/%2F/rt-viewer', { configure: '', write: '^amq\\.fanout$', read: '.*' });
  const w = await openPage(env.browser, env.ui.base);
  try {
    await login(w, env.ui.base, 'rt-viewer', 'pw', '#/routing?vhost=%2F&exchange=rt.orders&key=eu.new');
    const page = w.page;
    w.allowFailures.push('POST /api/leveret/route -> 401');
    await page.getByRole('button', { name: 'Show the route' }).click();
    await page.getByText('Access refused. (401)').waitFor();
    await page.getByLabel('Exchange', { exact: true }).fill('amq.fanout');
    await page.getByRole('button', { name: 'Show the route' }).click();
    await page.getByText('Unroutable: no queue would get this message', { exact: false }).waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Routing' }).waitFor();
    expect(w.problems).toEqual([]);
  } finally {
    await w.close();
  }
});

async function expectValue(locator: import('playwright-core').Locator, value: string): Promise<void> {
  for (let i = 0; i < 100 && (await locator.inputValue()) !== value; i++) await new Promise((r) => setTimeout(r, 20));
  expect(await locator.inputValue()).toBe(value);
}

async function untilCount(locator: import('playwright-core').Locator, n: number): Promise<void> {
  for (let i = 0; i < 250 && (await locator.count()) !== n; i++) await new Promise((r) => setTimeout(r, 20));
  expect(await locator.count()).toBe(n);
}
