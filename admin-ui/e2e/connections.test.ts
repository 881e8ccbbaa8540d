/**
 * The Connections and Channels pages against real amqplib clients: a connection whose client-chosen name is hostile
 * markup and unicode, a channel with a prefetch and a consumer on a queue with spaces and unicode in its name, a
 * confirm channel, and a second connection in another vhost. The lists, the vhost filter, the detail pages, and
 * closing a connection from the UI with a reason the client then receives.
 */
import * as amqp from 'amqplib';
import { seriousViolations } from './support/axe';
import { apiCall, login, openPage, screenshot, useUi } from './support/harness';
jest.setTimeout(90000);
const HOSTILE = '<img src=x onerror=alert(1)> Zürich ✓ 東京';
const QUEUE = 'orders ✓ queue';
const OTHER_VHOST = 'test vhost ü';
const OTHER_NAME = 'second ü';
let main: amqp.ChannelModel;
let other: amqp.ChannelModel;
/** The broker's name for `main`: "127.0.0.1:<port> -> 127.0.0.1:<port>" (spaces, '->' and ':'). */
let mainName: string;
let closed: Promise<Error | undefined>;
// Declared before useUi so that it runs first, while the broker is still up.
afterAll(async () => {
  await other?.close().catch(() => undefined);
  await main?.close().catch(() => undefined);
});
const env = useUi();
interface ConnJson {
  name: string;
  user_provided_name?: string;
}
beforeAll(async () => {
  await apiCall(env.ui.base, 'PUT', `/api/vhosts/${encodeURIComponent(OTHER_VHOST)}`);
  await apiCall(env.ui.base, 'PUT', `/api/permissions/${encodeURIComponent(OTHER_VHOST)}/guest`, { configure: '.*', write: '.*', read: '.*' });
  main = await amqp.connect(env.ui.broker.url, { clientProperties: { connection_name: HOSTILE } });
  closed = new Promise((resolve) => main.once('close', (err?: Error) => resolve(err)));
  main.on('error', () => undefined); // the close below is expected; 'close' carries it
  const consuming = await main.createChannel();
  await consuming.prefetch(7);
  await consuming.assertQueue(QUEUE);
  await consuming.consume(QUEUE, () => undefined);
  // Three messages the consumer receives and never acks: 3 unacked on its channel, 3 publishes on the connection.
  const confirming = await main.createConfirmChannel();
  for (let i = 0; i < 3; i++) confirming.sendToQueue(QUEUE, Buffer.from(`m${i}`));
  await confirming.waitForConfirms();
  other = await amqp.connect(`${env.ui.broker.url}/${encodeURIComponent(OTHER_VHOST)}`, { clientProperties: { connection_name: OTHER_NAME } });
  await other.createChannel();
  const list = (await apiCall(env.ui.base, 'GET', '/api/connections')) as ConnJson[];
  mainName = list.find((c) => c.user_provided_name === HOSTILE)?.name as string;
  expect(mainName).toMatch(/^127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+$/);
});
test('lists, vhost filter, detail pages, and closing a connection with a reason the client receives', async () => {
  const w = await openPage(env.browser, env.ui.base);
  const dialogs: string[] = [];
  w.page.on('dialog', (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    void (d.type() === 'confirm' ? d.accept() : d.dismiss());
  });
  try {
    const { page } = w;
    await login(w, env.ui.base, 'guest', 'guest', '#/connections');
    // The list: the hostile client name is text, next to the user and the client library.
    const row = page.getByRole('row').filter({ hasText: HOSTILE });
    await row.waitFor();
    await expect(row.getByRole('link', { name: mainName, exact: true }).count()).resolves.toBe(1);
    const cells = await row.getByRole('cell').allInnerTexts();
    expect(cells).toEqual(expect.arrayContaining(['guest', '/', 'running', '2', 'AMQP 0-9-1', 'no', '60s']));
    expect(cells).toEqual(expect.arrayContaining([expect.stringMatching(/^amqplib \d+\.\d+\.\d+$/)]));
    expect(await page.locator('main img').count()).toBe(0);
    await page.getByText(`2 of 2 connections`).waitFor();
    await screenshot(page, 'connections');
    expect(await seriousViolations(page)).toEqual([]);
    // Sorting is the API's, and the URL keeps it: by channels, 1 then 2; again, 2 then 1.
    const firstRow = page.locator('table.grid tbody tr').first();
    await page.getByRole('button', { name: 'Channels' }).click();
    await page.waitForFunction("location.hash === '#/connections?sort=channels'");
    await firstRow.filter({ hasText: OTHER_NAME }).waitFor();
    await page.getByRole('button', { name: 'Channels' }).click();
    await page.waitForFunction("location.hash === '#/connections?sort=channels&desc=1'");
    await firstRow.filter({ hasText: HOSTILE }).waitFor();
    // The vhost filter lists one vhost's connections, and the URL keeps it.
    await page.getByLabel('Virtual host').selectOption(OTHER_VHOST);
    await page.getByRole('row').filter({ hasText: OTHER_NAME }).waitFor();
    await page.getByText('1 of 1 connections').waitFor();
    expect(await page.getByRole('row').filter({ hasText: HOSTILE }).count()).toBe(0);
    expect(new URL(page.url()).hash).toBe(`#/connections?sort=channels&desc=1&vhost=${encodeURIComponent(OTHER_VHOST).replace(/%20/g, '+')}`);
    await page.getByLabel('Virtual host').selectOption('');
    await row.waitFor();
    // The detail page, opened from the list and reloaded as a deep link.
    await row.getByRole('link', { name: mainName, exact: true }).click();
    await page.getByRole('heading', { name: `Connection ${mainName}` }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: `Connection ${mainName}` }).waitFor();
    const props = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'connection_name', exact: true }) });
    expect(await props.getByRole('cell').innerText()).toBe(HOSTILE);
    const product = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'product', exact: true }) });
    expect(await product.getByRole('cell').innerText()).toBe('amqplib');
    const caps = page.getByRole('table', { name: 'Capabilities' });
    expect(await caps.getByRole('row').filter({ hasText: 'publisher_confirms' }).getByRole('cell').allInnerTexts()).toEqual(['publisher_confirms', 'yes']);
    const heartbeat = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'Heartbeat', exact: true }) });
    expect(await heartbeat.getByRole('cell').innerText()).toBe('60s');
    await page.locator('.card').filter({ hasText: 'Publish' }).getByText('3 in all').waitFor();
    const channels = page.getByRole('table', { name: 'Channels' });
    const first = channels.getByRole('row').filter({ has: page.getByRole('link', { name: `${mainName} (1)`, exact: true }) });
    await first.waitFor();
    // Channel, number, user, vhost, mode, state, prefetch, unacked, unconfirmed, consumers, then rates.
    expect((await first.getByRole('cell').allInnerTexts()).slice(0, 10)).toEqual([`${mainName} (1)`, '1', 'guest', '/', '—', 'running', '7', '3', '0', '1']);
    const second = channels.getByRole('row').filter({ has: page.getByRole('link', { name: `${mainName} (2)`, exact: true }) });
    expect((await second.getByRole('cell').allInnerTexts())[4]).toBe('confirm');
    expect(await page.locator('main img').count()).toBe(0);
    await screenshot(page, 'connection');
    expect(await seriousViolations(page)).toEqual([]);
    // A deep link to a connection that is not there says so.
    w.allowFailures.push(`GET /api/connections/${encodeURIComponent('gone <b>x</b>')}`);
    await page.goto(`${env.ui.base}/#/connections/${encodeURIComponent('gone <b>x</b>')}`);
    await page.getByRole('heading', { name: 'Connection gone <b>x</b>' }).waitFor();
    await page.getByText('This connection is closed (or never existed).').waitFor();
    await page.goBack();
    await page.getByRole('heading', { name: `Connection ${mainName}` }).waitFor();
    // The channel page: prefetch, consumer count and the consumer on its queue.
    await first.getByRole('link', { name: `${mainName} (1)`, exact: true }).click();
    await page.getByRole('heading', { name: `Channel ${mainName} (1)` }).waitFor();
    const prefetch = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'Prefetch count', exact: true }) });
    expect(await prefetch.getByRole('cell').innerText()).toBe('7');
    const unacked = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'Unacknowledged', exact: true }) });
    expect(await unacked.getByRole('cell').innerText()).toBe('3');
    await page.getByRole('heading', { name: 'Consumers (1)' }).waitFor();
    const consumer = page.getByRole('table', { name: 'Consumers' }).getByRole('row').filter({ hasText: QUEUE });
    expect((await consumer.getByRole('cell').allInnerTexts()).slice(1, 5)).toEqual([QUEUE, 'yes', 'no', '7']);
    expect(await consumer.getByRole('link', { name: QUEUE }).getAttribute('href')).toBe(`#/queues/%2F/${encodeURIComponent(QUEUE)}`);
    await screenshot(page, 'channel');
    expect(await seriousViolations(page)).toEqual([]);
    // The channel list shows all three channels; its connection column links back.
    await page.getByRole('link', { name: 'Channels', exact: true }).click();
    await page.getByText('3 of 3 channels').waitFor();
    await screenshot(page, 'channels');
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByLabel('Virtual host').selectOption(OTHER_VHOST);
    await page.getByText('1 of 1 channels').waitFor();
    expect(await page.getByRole('row').filter({ hasText: mainName }).count()).toBe(0);
    await page.getByLabel('Virtual host').selectOption('');
    await page.getByRole('row').filter({ hasText: `${mainName} (2)` }).getByRole('link', { name: mainName, exact: true }).click();
    await page.getByRole('heading', { name: `Connection ${mainName}` }).waitFor();
    // A reason a header cannot carry is refused by the form, before any request.
    const reasonBox = page.getByLabel('Reason');
    await reasonBox.fill('going away ✓');
    await page.getByText('The reason can hold Latin-1 characters only').first().waitFor();
    await page.getByRole('button', { name: 'Close this connection' }).click();
    await page.getByRole('alert').getByText('Latin-1 characters only').waitFor();
    expect(dialogs).toEqual([]);
    // A refresh replaces the data, not what the user is typing.
    await page.getByLabel('Refresh').selectOption('2000');
    await reasonBox.fill('half-typed');
    await page.waitForResponse((r) => r.url().endsWith(`/api/connections/${encodeURIComponent(mainName)}`));
    await page.getByRole('heading', { name: 'Channels (2)' }).waitFor();
    expect(await reasonBox.inputValue()).toBe('half-typed');
    // Closing: the page may still be refreshing the connection when it goes (a 404 then is the expected answer).
    w.allowFailures.push(`GET /api/connections/${encodeURIComponent(mainName)} -> 404`, `GET /api/connections/${encodeURIComponent(mainName)}/channels -> 404`);
    const reason = 'Maintenance: back at 08:00, Zürich';
    await reasonBox.fill(reason);
    await page.getByRole('button', { name: 'Close this connection' }).click();
    const err = await closed;
    expect(err?.message).toContain(`CONNECTION_FORCED - ${reason}`);
    expect(dialogs).toEqual([`confirm: Close connection ${mainName}? The client gets the reason and must reconnect.`]);
    // Back on the list: the notice names it, and only the other connection is left.
    await page.getByText(`Closed connection ${mainName} with reason “${reason}”.`).waitFor();
    await page.getByText('1 of 1 connections').waitFor();
    await page.getByRole('row').filter({ hasText: OTHER_NAME }).waitFor();
    expect(w.problems).toEqual([]);
  } finally {
    await w.close();
  }
});
test('tag gates: a management user sees only their own connections, a monitoring user sees all but closes none', async () => {
  await apiCall(env.ui.base, 'PUT', `/api/users/${encodeURIComponent('ana ü')}`, { password: 'a', tags: 'management' });
  await apiCall(env.ui.base, 'PUT', `/api/permissions/%2F/${encodeURIComponent('ana ü')}`, { configure: '.*', write: '.*', read: '.*' });
  await apiCall(env.ui.base, 'PUT', '/api/users/watcher', { password: 'w', tags: 'monitoring' });
  // Credentials as an object: amqplib decodes a URL's user with unescape() (Latin-1), which would mangle 'ü'.
  const ana = await amqp.connect(`amqp://127.0.0.1:${env.ui.broker.port}`, {
    credentials: amqp.credentials.plain('ana ü', 'a'),
    clientProperties: { connection_name: 'ana’s app' },
  });
  const w = await openPage(env.browser, env.ui.base);
  try {
    const { page } = w;
    await login(w, env.ui.base, 'ana ü', 'a', '#/connections');
    await page.getByRole('row').filter({ hasText: 'ana’s app' }).waitFor();
    await page.getByText('1 of 1 connections').waitFor();
    expect(await page.getByRole('row').filter({ hasText: OTHER_NAME }).count()).toBe(0);
    // Her own connection she may close: the form is there.
    await page.getByRole('row').filter({ hasText: 'ana’s app' }).getByRole('link').click();
    await page.getByRole('button', { name: 'Close this connection' }).waitFor();
    await page.getByRole('button', { name: 'Log out' }).click();
    await login(w, env.ui.base, 'watcher', 'w', '#/connections');
    await page.getByRole('row').filter({ hasText: OTHER_NAME }).waitFor();
    await page.getByRole('row').filter({ hasText: 'ana’s app' }).waitFor();
    await page.getByRole('row').filter({ hasText: OTHER_NAME }).getByRole('link').click();
    await page.getByRole('heading', { name: 'Client properties' }).waitFor();
    expect(await page.getByRole('button', { name: 'Close this connection' }).count()).toBe(0);
    expect(w.problems).toEqual([]);
  } finally {
    await w.close();
    await ana.close();
  }
});
test('a publishing channel shows its publish rate on the channel page and in the channel list', async () => {
  // Rates are counters sampled by the broker every few seconds: publish steadily until a sample sees it.
  const publisher = await other.createChannel();
  const timer = setInterval(() => publisher.publish('', 'nowhere', Buffer.from('tick')), 20);
  const w = await openPage(env.browser, env.ui.base);
  try {
    const { page } = w;
    await login(w, env.ui.base, 'guest', 'guest', '#/channels');
    await page.getByLabel('Refresh').selectOption('2000');
    const list = (await apiCall(env.ui.base, 'GET', `/api/vhosts/${encodeURIComponent(OTHER_VHOST)}/channels`)) as Array<{ name: string; number: number }>;
    const name = list.find((ch) => ch.number === 2)?.name as string;
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name, exact: true }) });
    // Columns: channel, connection, number, user, vhost, mode, state, prefetch, unacked, unconfirmed, consumers, publish.
    await row.getByRole('cell').nth(11).filter({ hasText: /^(?!0\.0\/s)\d[\d.,]*\/s$/ }).waitFor({ timeout: 20000 });
    await row.getByRole('link', { name, exact: true }).click();
    const publish = page.getByRole('table', { name: 'Message rates' }).getByRole('row').filter({ hasText: 'Publish' });
    await publish.getByRole('cell').nth(1).filter({ hasText: /^(?!0\.0\/s)\d[\d.,]*\/s$/ }).waitFor({ timeout: 20000 });
    expect(w.problems).toEqual([]);
  } finally {
    clearInterval(timer);
    await w.close();
    await publisher.close();
  }
});
