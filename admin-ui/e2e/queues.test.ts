/**
 * The queues pages in a real browser: declaring a queue with typed arguments through the form, the detail page's
 * publish / get / purge / delete, and the list with 10,000 queues (timed, filtered by regex, sorted, paged, bulk
 * deleted), each checked against what the API itself answers.
 */
import * as amqp from 'amqplib';
import type { Locator, Page } from 'playwright-core';
import { seriousViolations } from './support/axe';
import { apiCall, GUEST, login, openPage, screenshot, useUi } from './support/harness';

jest.setTimeout(90000);

const env = useUi();

const enc = encodeURIComponent;

/** Polls until `check` holds (the UI reloads on its own schedule); fails naming what was awaited. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Accepts the next confirmation dialog; resolves with its text. */
function acceptNextDialog(page: Page): Promise<string> {
  return new Promise((resolve) => {
    page.once('dialog', (d) => {
      resolve(d.message());
      void d.accept();
    });
  });
}

/** The queue names in the list's rows, in order (the name is the column after the selection box). */
function shownNames(page: Page): Promise<string[]> {
  return page.locator('.list table.grid tbody tr td:nth-child(2) a').allTextContents();
}

async function statusOf(path: string): Promise<number> {
  return (await fetch(`${env.ui.base}${path}`, { headers: GUEST })).status;
}

interface QueueApi {
  arguments: Record<string, unknown>;
  durable: boolean;
  auto_delete: boolean;
  messages: number;
  messages_ready: number;
}

test('declare a queue with typed arguments through the form; a bad argument shows the broker reason', async () => {
  const w = await openPage(env.browser, env.ui.base);
  try {
    const p = w.page;
    await login(w, env.ui.base, 'guest', 'guest', '#/queues');
    await p.getByText('Declare a new queue').click();
    await p.getByLabel('Queue name').waitFor();
    expect(await seriousViolations(p)).toEqual([]);
    const name = 'Bestellungen für Zürich ✓ 注文';
    await p.getByLabel('Queue name').fill(name);

    // The broker refuses a priority above 255; its reason is shown as it is.
    w.allowFailures.push(`PUT /api/queues/%2F/${enc(name)} -> 400`);
    await p.getByLabel('Maximum priority (x-max-priority)').fill('300');
    await p.getByRole('button', { name: 'Add queue' }).click();
    const refusal = p.getByRole('alert').filter({ hasText: 'x-max-priority' });
    await refusal.waitFor();
    expect(await refusal.textContent()).toContain('max_value_exceeded');
    expect(await statusOf(`/api/queues/%2F/${enc(name)}`)).toBe(404);

    await p.getByLabel('Maximum priority (x-max-priority)').fill('');
    await p.getByLabel('Max length (x-max-length)', { exact: true }).fill('5');
    await p.getByLabel('Message TTL (x-message-ttl)').fill('60000');
    await p.getByLabel('Overflow (x-overflow)').selectOption('reject-publish');
    await p.getByRole('button', { name: 'Add argument' }).click();
    await p.getByLabel('Argument 1 name').fill('x-team-weight');
    await p.getByLabel('Argument 1 type').selectOption('number');
    await p.getByLabel('Argument 1 value').fill('7');
    await p.getByRole('button', { name: 'Add queue' }).click();
    await p.getByRole('status').filter({ hasText: 'declared in /' }).waitFor();

    const q = (await apiCall(env.ui.base, 'GET', `/api/queues/%2F/${enc(name)}`)) as QueueApi;
    expect(q.arguments).toEqual({ 'x-max-length': 5, 'x-message-ttl': 60000, 'x-overflow': 'reject-publish', 'x-team-weight': 7 });
    expect(typeof q.arguments['x-max-length']).toBe('number');
    expect(typeof q.arguments['x-message-ttl']).toBe('number');
    expect([q.durable, q.auto_delete]).toEqual([true, false]);

    // The list reloads at once and shows the new queue with its features.
    const row = p.getByRole('row').filter({ has: p.getByRole('link', { name, exact: true }) });
    await row.waitFor();
    expect(await row.locator('.q-features abbr').allTextContents()).toEqual(['D', 'TTL', 'Lim']);
    expect(w.problems).toEqual([]);
  } finally {
    await w.close();
  }
});

test('detail page: publish 3, see them counted, get 2 removing them, purge, delete', async () => {
  const name = 'Posteingang ü <b>2</b>';
  const path = `/api/queues/%2F/${enc(name)}`;
  await apiCall(env.ui.base, 'PUT', path, { durable: true, arguments: { 'x-max-priority': 3 } });
  const w = await openPage(env.browser, env.ui.base);
  try {
    const p = w.page;
    await login(w, env.ui.base, 'guest', 'guest', `#/queues/%2F/${enc(name)}`);
    await p.getByRole('heading', { name: `Queue ${name}` }).waitFor();
    const counts = p.getByRole('table', { name: 'Messages in the queue' });
    const readyCell = counts.getByRole('row').filter({ hasText: 'Messages' }).getByRole('cell').first();

    for (const body of ['first', 'second', 'third']) {
      await p.getByLabel('Payload', { exact: true }).fill(body);
      await Promise.all([
        p.waitForResponse((r) => r.url().endsWith('/publish') && r.status() === 200),
        p.getByRole('button', { name: 'Publish message' }).click(),
      ]);
      await p.getByRole('status').filter({ hasText: 'Message published.' }).waitFor();
    }
    await until('ready count 3', async () => (await readyCell.textContent()) === '3');

    await p.getByLabel('Ack mode').selectOption('ack_requeue_false');
    await p.getByLabel('Messages', { exact: true }).fill('2');
    await p.getByRole('button', { name: 'Get messages' }).click();
    await p.getByRole('article', { name: 'Message 2' }).waitFor();
    expect(await p.locator('pre.q-payload').allTextContents()).toEqual(['first', 'second']);
    const first = p.getByRole('article', { name: 'Message 1' });
    expect(await first.getByRole('row', { name: /^Routing key/ }).textContent()).toBe(`Routing key${name}`);
    expect(await first.getByRole('row', { name: /^Exchange/ }).textContent()).toBe('Exchange(AMQP default)');
    await until('ready count 1', async () => (await readyCell.textContent()) === '1');
    await screenshot(p, 'queue');
    expect(await seriousViolations(p)).toEqual([]);
    expect(((await apiCall(env.ui.base, 'GET', path)) as QueueApi).messages).toBe(1);

    // Delete with 'Only if empty' is refused while a message is left: the broker's reason shows, the queue stays.
    w.allowFailures.push(`DELETE /api/queues/%2F/${enc(name)}?if-empty=true -> 400`);
    await p.getByLabel('Only if empty').check();
    const refusedText = acceptNextDialog(p);
    await p.getByRole('button', { name: 'Delete', exact: true }).click();
    await refusedText;
    const refusal = p.getByRole('alert').filter({ hasText: 'not empty' });
    await refusal.waitFor();
    expect(await refusal.textContent()).toBe(`queue '${name}' in vhost '/' not empty (400)`);
    expect(await statusOf(path)).toBe(200);
    await p.getByLabel('Only if empty').uncheck();

    const purgeText = acceptNextDialog(p);
    await Promise.all([
      p.waitForResponse((r) => r.url().endsWith('/contents') && r.request().method() === 'DELETE'),
      p.getByRole('button', { name: 'Purge', exact: true }).click(),
    ]);
    expect(await purgeText).toBe(`Purge queue '${name}'? Its ready messages (1) are deleted.`);
    expect(((await apiCall(env.ui.base, 'GET', path)) as QueueApi).messages).toBe(0);
    await until('ready count 0', async () => (await readyCell.textContent()) === '0');

    const deleteText = acceptNextDialog(p);
    await p.getByRole('button', { name: 'Delete', exact: true }).click();
    expect(await deleteText).toBe(`Delete queue '${name}' in /?`);
    await p.getByRole('heading', { name: 'Queues' }).waitFor();
    expect(p.url()).toBe(`${env.ui.base}/#/queues?vhost=%2F`);
    expect(await statusOf(path)).toBe(404);
    expect(w.problems).toEqual([]);
  } finally {
    await w.close();
  }
});

test('detail page: consumers with their channel, bindings with their exchange, the chart range in the URL', async () => {
  const name = 'lecture ✓ watched';
  const conn = await amqp.connect(env.ui.broker.url);
  conn.on('error', () => undefined);
  try {
    const ch = await conn.createChannel();
    await ch.assertQueue(name, { durable: false });
    await ch.bindQueue(name, 'amq.direct', 'rk ü');
    await ch.prefetch(7);
    await ch.consume(name, () => undefined, { consumerTag: 'reader ✓' });
    const q = (await apiCall(env.ui.base, 'GET', `/api/queues/%2F/${enc(name)}`)) as { consumer_details: Array<{ channel_details: { name: string } }> };
    const channel = q.consumer_details[0]?.channel_details.name as string;

    const w = await openPage(env.browser, env.ui.base);
    try {
      const p = w.page;
      await login(w, env.ui.base, 'guest', 'guest', `#/queues/%2F/${enc(name)}`);
      const consumer = p.getByRole('table', { name: 'Consumers' }).getByRole('row').filter({ hasText: 'reader ✓' });
      await consumer.waitFor();
      expect(await consumer.getByRole('cell').allTextContents()).toEqual(['reader ✓', channel, 'guest', 'yes', 'no', '7', 'up', '']);
      expect(await consumer.getByRole('link').getAttribute('href')).toBe(`#/channels/${enc(channel)}`);

      const bindings = p.getByRole('table', { name: 'Bindings' });
      const direct = bindings.getByRole('row').filter({ hasText: 'amq.direct' });
      await direct.waitFor();
      expect((await direct.getByRole('cell').allTextContents()).slice(0, 3)).toEqual(['exchange amq.direct', 'rk ü', '—']);
      expect(await direct.getByRole('link').getAttribute('href')).toBe('#/exchanges/%2F/amq.direct');
      expect(await bindings.getByRole('link', { name: '(AMQP default)' }).getAttribute('href')).toBe('#/exchanges/%2F/');

      // Bind from amq.topic through the page's form, then unbind it there.
      const add = p.getByRole('group', { name: /add a binding/i });
      await add.getByLabel('Source exchange').fill('amq.topic');
      await add.getByLabel('Routing key').fill('lectures.#');
      await add.getByRole('button', { name: 'Bind' }).click();
      const topic = bindings.getByRole('row').filter({ hasText: 'amq.topic' });
      await topic.waitFor();
      const fromTopic = async () =>
        ((await apiCall(env.ui.base, 'GET', `/api/bindings/%2F/e/amq.topic/q/${enc(name)}`)) as Array<{ routing_key: string }>).map((b) => b.routing_key);
      expect(await fromTopic()).toEqual(['lectures.#']);
      await topic.getByRole('button', { name: /^Unbind exchange amq\.topic/ }).click();
      await topic.waitFor({ state: 'detached' });
      expect(await fromTopic()).toEqual([]);

      await Promise.all([
        p.waitForRequest((r) => r.url().includes(`/api/queues/%2F/${enc(name)}?`) && r.url().includes('lengths_age=3600')),
        p.getByLabel('Chart range').selectOption('3600'),
      ]);
      expect(p.url()).toContain('range=3600');
      await p.getByRole('img', { name: /^Queued messages chart/ }).waitFor();
      expect(w.problems).toEqual([]);
    } finally {
      await w.close();
    }
  } finally {
    await conn.close();
  }
});

test('10,000 queues: first rows, a regex-filtered page 3 sorted by messages, bulk delete of 5 and purge of 2', async () => {
  const started = Date.now();
  const COUNT = 10_000;
  const qname = (i: number): string => `bulk-${String(i).padStart(5, '0')}`;
  const conn = await amqp.connect(env.ui.broker.url);
  conn.on('error', () => undefined);
  try {
    const ch = await conn.createConfirmChannel();
    // One channel, every declare in flight at once: amqplib queues them in order on the socket.
    await Promise.all(Array.from({ length: COUNT }, (_, i) => ch.assertQueue(qname(i), { durable: false })));
    // i % 4 messages in queue i, so that sorting by messages orders something.
    for (let i = 0; i < COUNT; i++) for (let m = 0; m < i % 4; m++) ch.sendToQueue(qname(i), Buffer.from(`m${m}`));
    await ch.waitForConfirms();
    const declared = Date.now() - started;

    const w = await openPage(env.browser, env.ui.base);
    try {
      const p = w.page;
      await login(w, env.ui.base, 'guest', 'guest', '#/queues');
      const total = ((await apiCall(env.ui.base, 'GET', '/api/queues?page=1&page_size=1&pagination=true&columns=name')) as { total_count: number }).total_count;
      expect(total).toBeGreaterThanOrEqual(COUNT);

      // A full reload of #/queues: script, session check, vhosts and the first page of 100 rows.
      const firstPage = (await apiCall(env.ui.base, 'GET', '/api/queues?page=1&page_size=100&pagination=true&sort=name&columns=name')) as {
        items: Array<{ name: string }>;
      };
      let t = Date.now();
      await p.reload();
      await until('the first 100 rows', async () => (await shownNames(p)).length === 100);
      const firstRowsMs = Date.now() - t;
      expect(await shownNames(p)).toEqual(firstPage.items.map((q) => q.name));
      await p.getByRole('status').filter({ hasText: `of ${total.toLocaleString('en-US')} queues` }).waitFor();

      // The user narrows it down: vhost '/', a regex, sort by total messages descending, page 3.
      // Names ending in 0 or 5 among the first 5,000: 1,000 queues, 250 each with 0, 1, 2 and 3 messages, so that page 3
      // (rows 201 to 300, by messages descending) spans the 3s and the 2s.
      const regex = '^bulk-0[0-4]\\d*[05]$';
      const query = `name=${enc(regex)}&use_regex=true&sort=messages&sort_reverse=true&page=3&page_size=100&pagination=true&columns=name,messages`;
      t = Date.now();
      const expected = (await apiCall(env.ui.base, 'GET', `/api/queues/%2F?${query}`)) as { items: Array<{ name: string; messages: number }>; filtered_count: number };
      const apiMs = Date.now() - t;
      expect(expected.filtered_count).toBe(1000);
      expect(expected.items.length).toBe(100);
      const wanted = expected.items.map((q) => q.name);

      t = Date.now();
      const steps: string[] = [];
      const step = async (what: string, act: () => Promise<unknown>): Promise<void> => {
        const t0 = Date.now();
        await act();
        steps.push(`${what} ${Date.now() - t0} ms`);
      };
      await step('vhost', async () => {
        await p.locator('.page-title').getByLabel('Virtual host').selectOption('/');
        await p.getByRole('status').filter({ hasText: `of ${total.toLocaleString('en-US')} queues` }).waitFor();
      });
      await step('regex', () => p.getByLabel('Regex').check());
      await step('filter', async () => {
        await p.getByLabel('Filter').fill(regex);
        await p.getByRole('status').filter({ hasText: '1,000 of' }).waitFor();
      });
      await step('sort', async () => {
        await p.getByRole('button', { name: 'Total' }).click();
        await p.locator('th[aria-sort="ascending"]').filter({ hasText: 'Total' }).waitFor();
      });
      await step('sort desc', async () => {
        await p.getByRole('button', { name: 'Total ▲' }).click();
        await p.locator('th[aria-sort="descending"]').filter({ hasText: 'Total' }).waitFor();
      });
      await step('page 2', async () => {
        await p.getByRole('button', { name: 'Next' }).click();
        await p.getByText('Page 2 of 10').waitFor();
      });
      await step('page 3', async () => {
        await p.getByRole('button', { name: 'Next' }).click();
        await p.getByText('Page 3 of 10').waitFor();
        await until('page 3 rows to match the API', async () => JSON.stringify(await shownNames(p)) === JSON.stringify(wanted));
      });
      const interactiveMs = Date.now() - t;
      const totals = await p.locator('.list table.grid tbody tr td:nth-child(9)').allTextContents();
      expect(totals).toEqual(expected.items.map((q) => String(q.messages)));
      expect(new Set(totals)).toEqual(new Set(['3', '2']));

      // The same view from its link: a full load straight into it.
      const link = p.url();
      expect(link).toContain('page=3');
      t = Date.now();
      await p.reload();
      await until('the linked view', async () => JSON.stringify(await shownNames(p)) === JSON.stringify(wanted));
      const deepLinkMs = Date.now() - t;
      await screenshot(p, 'queues');

      // Bulk delete: five selected rows, one confirmation naming five.
      const victims = wanted.slice(0, 5);
      for (const name of victims) await p.getByLabel(`Select queue ${name}`, { exact: true }).check();
      await p.getByText('5 selected').waitFor();
      const confirmText = acceptNextDialog(p);
      await p.getByRole('button', { name: 'Delete selected' }).click();
      expect(await confirmText).toBe('Delete 5 queues? Their messages are lost.');
      await p.getByRole('status').filter({ hasText: '995 of' }).waitFor();
      const after = await shownNames(p);
      for (const name of victims) {
        expect(after).not.toContain(name);
        expect(await statusOf(`/api/queues/%2F/${enc(name)}`)).toBe(404);
      }

      // Bulk purge: two of the rows now shown, which hold messages.
      const purged = after.slice(0, 2);
      for (const name of purged) await p.getByLabel(`Select queue ${name}`, { exact: true }).check();
      await p.getByText('2 selected').waitFor();
      const purgeText = acceptNextDialog(p);
      await p.getByRole('button', { name: 'Purge selected' }).click();
      expect(await purgeText).toBe('Purge 2 queues? Their ready messages are deleted.');
      await p.getByText('0 selected').waitFor();
      for (const name of purged) {
        await until(`${name} to be empty`, async () => ((await apiCall(env.ui.base, 'GET', `/api/queues/%2F/${enc(name)}`)) as QueueApi).messages === 0);
      }
      expect(w.problems).toEqual([]);
      console.log(
        `10,000 queues: declared + ${COUNT * 1.5} messages over AMQP in ${declared} ms; #/queues reload to first 100 rows ${firstRowsMs} ms; ` +
          `API regex+sort+page 3 (columns=name,messages) ${apiMs} ms; in the UI vhost + regex + sort desc + page 3 ${interactiveMs} ms ` +
          `(${steps.join(', ')}); ` +
          `deep link to that view ${deepLinkMs} ms; whole test ${Date.now() - started} ms`,
      );
    } finally {
      await w.close();
    }
  } finally {
    await conn.close();
  }
});
