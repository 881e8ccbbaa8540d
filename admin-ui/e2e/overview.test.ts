/**
 * The overview page: totals that match what was done over AMQP, live charts with a range kept in the URL and sent to
 * the API, node figures, version, no alarm area when there is no alarm, and what a management-only user sees.
 */
import * as amqp from 'amqplib';
import { apiCall, login, openPage, screenshot, useUi, type WatchedPage } from './support/harness';
jest.setTimeout(60000);
let connection: amqp.ChannelModel;
// Declared before useUi so that it runs first, while the broker is still up.
afterAll(async () => {
  await connection?.close();
});
const env = useUi();
const READY_QUEUE = 'overview ready ü';
const WORK_QUEUE = 'overview work';
beforeAll(async () => {
  connection = await amqp.connect(env.ui.broker.url);
  const ch = await connection.createConfirmChannel();
  await ch.assertQueue(READY_QUEUE);
  await ch.assertQueue(WORK_QUEUE);
  for (let i = 0; i < 5; i++) ch.sendToQueue(READY_QUEUE, Buffer.from(`ready ${i}`));
  for (let i = 0; i < 4; i++) ch.sendToQueue(WORK_QUEUE, Buffer.from(`work ${i}`));
  await ch.waitForConfirms();
  // One message consumed and acked; three delivered to a consumer that holds them unacked.
  const got = await ch.get(WORK_QUEUE);
  if (got === false) throw new Error('no message to get');
  ch.ack(got);
  const consumer = await connection.createChannel();
  await consumer.prefetch(10);
  let delivered = 0;
  await new Promise<void>((resolve) => {
    void consumer.consume(WORK_QUEUE, () => {
      if (++delivered === 3) resolve();
    });
  });
});
async function figure(w: WatchedPage, list: string, label: string): Promise<string> {
  const item = w.page.getByRole('list', { name: list }).getByRole('listitem').filter({ hasText: label });
  return ((await item.locator('.figure').textContent()) ?? '').trim();
}
test('totals, charts, range, node figures and version for an administrator', async () => {
  const w = await openPage(env.browser, env.ui.base);
  await login(w, env.ui.base);
  await w.page.getByRole('heading', { name: 'Totals' }).waitFor();
  const api = (await apiCall(env.ui.base, 'GET', '/api/overview')) as {
    object_totals: Record<string, number>;
    product_version: string;
    listeners: unknown[];
  };
  expect(api.object_totals).toMatchObject({ connections: 1, channels: 2, queues: 2, consumers: 1 });
  expect(await figure(w, 'Object totals', 'Connections')).toBe('1');
  expect(await figure(w, 'Object totals', 'Channels')).toBe('2');
  expect(await figure(w, 'Object totals', 'Queues')).toBe('2');
  expect(await figure(w, 'Object totals', 'Consumers')).toBe('1');
  expect(await figure(w, 'Object totals', 'Exchanges')).toBe(String(api.object_totals.exchanges));
  expect(await figure(w, 'Queued messages', 'ready')).toBe('5');
  expect(await figure(w, 'Queued messages', 'unacked')).toBe('3');
  expect(await figure(w, 'Queued messages', 'total')).toBe('8');
  // Both charts draw (uPlot: one canvas each).
  await w.page.locator('figure.chart canvas').nth(1).waitFor();
  expect(await w.page.locator('figure.chart canvas').count()).toBe(2);
  expect(await w.page.getByRole('img', { name: /^Queued messages chart: Ready/ }).count()).toBe(1);
  expect(await w.page.getByRole('img', { name: /^Message rates chart: Publish/ }).count()).toBe(1);
  // The range goes into the URL and into the API's age/incr.
  const asked = w.page.waitForRequest((r) => r.url().includes('/api/overview?') && r.url().includes('msg_rates_age=3600'));
  await w.page.getByLabel('Chart range').selectOption({ label: 'last hour' });
  const request = await asked;
  expect(new URL(request.url()).searchParams.get('lengths_incr')).toBe('60');
  expect(w.page.url()).toContain('range=3600');
  await w.page.reload();
  expect(await w.page.getByLabel('Chart range').inputValue()).toBe('3600');
  await w.page.getByRole('heading', { name: 'Node' }).waitFor();
  expect(await w.page.getByRole('alert', { name: 'Alarms' }).count()).toBe(0);
  expect(await w.page.getByRole('alert').count()).toBe(0);
  expect(await w.page.getByRole('meter', { name: 'Memory used' }).count()).toBe(1);
  expect(await w.page.getByRole('meter', { name: 'Disk free' }).count()).toBe(1);
  const version = (await w.page.getByLabel('Version').textContent()) ?? '';
  expect(version).toContain(`Leveret ${api.product_version}`);
  expect(version).toMatch(/up \d+s/);
  // One row per AMQP listener (IPv4 and IPv6 when both are up), each with the broker's port.
  const ports = w.page.getByRole('table').filter({ hasText: 'Protocol' }).getByRole('cell', { name: String(env.ui.broker.port), exact: true });
  expect(await ports.count()).toBe(api.listeners.length);
  expect(api.listeners.length).toBeGreaterThan(0);
  expect(await w.page.getByRole('heading', { name: 'Definitions' }).count()).toBe(1);
  await screenshot(w.page, 'overview');
  expect(w.problems).toEqual([]);
  await w.close();
});
test('a management-only user sees the totals of what it may see, and no node figures or definitions', async () => {
  const user = 'viewer ü';
  await apiCall(env.ui.base, 'PUT', `/api/users/${encodeURIComponent(user)}`, { password: 'pw', tags: 'management' });
  await apiCall(env.ui.base, 'PUT', `/api/permissions/%2F/${encodeURIComponent(user)}`, { configure: '.*', write: '.*', read: '.*' });
  const w = await openPage(env.browser, env.ui.base);
  await login(w, env.ui.base, user, 'pw');
  await w.page.getByRole('heading', { name: 'Totals' }).waitFor();
  expect(await figure(w, 'Object totals', 'Queues')).toBe('2');
  // Connections are guest's: a management user counts only its own.
  expect(await figure(w, 'Object totals', 'Connections')).toBe('0');
  await w.page.locator('figure.chart canvas').nth(1).waitFor();
  expect(await w.page.getByText('shown to users tagged monitoring or administrator').count()).toBe(1);
  expect(await w.page.getByRole('heading', { name: 'Definitions' }).count()).toBe(0);
  expect(await w.page.getByLabel('Version').textContent()).toContain('Leveret');
  expect(w.problems).toEqual([]);
  await w.close();
});
