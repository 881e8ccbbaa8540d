/**
 * The live tail page (issue 15) in a real browser: opened from the exchange page and the queue page, started (the
 * browser's EventSource with the session cookie alone), messages published over AMQP appear with their routing key,
 * payload and headers, nothing is consumed, pause freezes the list, and deleting the queue ends the tail.
 */
import * as amqp from 'amqplib';
import { seriousViolations } from './support/axe';
import { apiCall, login, openPage, screenshot, useUi } from './support/harness';

jest.setTimeout(60000);

const env = useUi();

let connection: amqp.ChannelModel;
let channel: amqp.ConfirmChannel;

beforeAll(async () => {
  connection = await amqp.connect(env.ui.broker.url);
  channel = await connection.createConfirmChannel();
});

afterAll(async () => {
  await connection?.close().catch(() => undefined);
});

test('tail an exchange from its page: published messages appear, unroutable ones marked; consumers keep theirs', async () => {
  await channel.assertExchange('tail.orders', 'topic', { durable: false });
  await channel.assertQueue('tail.orders.q', { durable: false });
  await channel.bindQueue('tail.orders.q', 'tail.orders', 'order.*');
  const w = await openPage(env.browser, env.ui.base);
  try {
    const p = w.page;
    await login(w, env.ui.base, 'guest', 'guest', '#/exchanges/%2F/tail.orders');
    await p.getByRole('link', { name: 'Live tail' }).click();
    await p.getByRole('heading', { name: /Live tail of exchange tail\.orders/ }).waitFor();
    await p.getByRole('button', { name: 'Start' }).click();
    await p.locator('.tail-state', { hasText: 'live' }).waitFor();

    channel.publish('tail.orders', 'order.created', Buffer.from('{"id":42}'), { headers: { source: 'e2e' }, contentType: 'application/json' });
    channel.publish('tail.orders', 'nobody.listens', Buffer.from('lost'));
    await channel.waitForConfirms();

    const first = p.getByLabel('Message 1');
    await first.waitFor();
    await p.getByLabel('Message 2').waitFor();
    // Newest first: message 2 (unroutable) above message 1.
    await expectText(p.locator('.tail-row').first(), /nobody\.listens.*unroutable.*lost/s);
    await expectText(first, /order\.created.*\{"id":42\}/s);
    await first.locator('summary').click();
    await expectText(first, /source.*e2e/s);
    await expectText(first, /application\/json/);
    await expectText(p.locator('.tail-status'), /2 received · 0 dropped/);
    await screenshot(p, 'tail-exchange');
    expect(await seriousViolations(p)).toEqual([]);

    // Pause: the list stays while messages keep coming; resume shows them.
    await p.getByRole('button', { name: 'Pause' }).click();
    channel.publish('tail.orders', 'order.paid', Buffer.from('paid'));
    await channel.waitForConfirms();
    await p.waitForTimeout(600);
    expect(await p.locator('.tail-row').count()).toBe(2);
    await p.getByRole('button', { name: 'Resume' }).click();
    await p.getByLabel('Message 3').waitFor();

    // Nothing was taken: the bound queue holds both routed messages.
    const q = (await apiCall(env.ui.base, 'GET', '/api/queues/%2F/tail.orders.q')) as { messages: number };
    expect(q.messages).toBe(2);
    await p.getByRole('button', { name: 'Stop' }).click();
    await p.locator('.tail-state', { hasText: 'stopped' }).waitFor();
    expect(w.problems).toEqual([]);
  } finally {
    await w.close();
  }
});

test('tail a queue from its page; deleting the queue ends the tail with its reason', async () => {
  await channel.assertQueue('tail.jobs', { durable: false });
  const w = await openPage(env.browser, env.ui.base);
  try {
    const p = w.page;
    await login(w, env.ui.base, 'guest', 'guest', '#/queues/%2F/tail.jobs');
    await p.getByRole('link', { name: 'Live tail' }).click();
    await p.getByRole('button', { name: 'Start' }).click();
    await p.locator('.tail-state', { hasText: 'live' }).waitFor();
    channel.sendToQueue('tail.jobs', Buffer.from('job one'));
    await channel.waitForConfirms();
    await expectText(p.getByLabel('Message 1'), /tail\.jobs.*job one/s);
    await channel.deleteQueue('tail.jobs');
    await p.getByText('The tail ended: queue deleted').waitFor();
    await p.locator('.tail-state', { hasText: 'ended' }).waitFor();
    expect(w.problems).toEqual([]);
  } finally {
    await w.close();
  }
});

async function expectText(locator: import('playwright-core').Locator, pattern: RegExp): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const text = (await locator.textContent()) ?? '';
    if (pattern.test(text)) return;
    if (Date.now() > deadline) throw new Error(`expected ${String(pattern)} in ${JSON.stringify(text)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
