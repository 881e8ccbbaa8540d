/**
 * The exchanges pages in a real browser: create through the form, find it through the list's filter (kept in the
 * URL), bind a queue, publish with a typed header and read it back over AMQP, unbind, delete; the default exchange;
 * awkward names in links and on screen.
 */
import * as amqp from 'amqplib';
import type { Page } from 'playwright-core';
import { apiCall, GUEST, login, openPage, screenshot, useUi } from './support/harness';

jest.setTimeout(90000);

let connection: amqp.ChannelModel;
let channel: amqp.Channel;

// Declared before useUi so that it runs first, while the broker is still up.
afterAll(async () => {
  await connection?.close();
});
const env = useUi();

beforeAll(async () => {
  connection = await amqp.connect(env.ui.broker.url);
  channel = await connection.createChannel();
});

const exchangePath = (vhost: string, name: string): string => `/api/exchanges/${encodeURIComponent(vhost)}/${encodeURIComponent(name)}`;

/** The query of the page's hash route, decoded. */
function hashQuery(page: Page): URLSearchParams {
  const hash = new URL(page.url()).hash;
  return new URLSearchParams(hash.includes('?') ? hash.slice(hash.indexOf('?') + 1) : '');
}

/** Polls a condition (page.waitForFunction would evaluate a string, which the UI's CSP forbids). */
async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function section(page: Page, title: string) {
  return page.locator('section', { has: page.getByRole('heading', { name: title, exact: true }) });
}

test('create a topic exchange, find it through the filter, bind a queue, publish a typed header, unbind, delete', async () => {
  const name = 'orders ünï bus';
  const queue = 'bound q ünï';
  await channel.assertQueue(queue, { durable: false });
  const w = await openPage(env.browser, env.ui.base);
  try {
    await login(w, env.ui.base, 'guest', 'guest', '#/exchanges');
    const page = w.page;
    await page.getByRole('heading', { name: 'Exchanges' }).waitFor();

    // Create through the form.
    const form = page.locator('form.exch-create');
    await form.getByLabel('Virtual host').selectOption('/');
    await form.getByLabel('Name', { exact: true }).fill(name);
    await form.getByLabel('Type', { exact: true }).selectOption('topic');
    await form.getByRole('button', { name: 'Add exchange' }).click();
    await form.getByRole('status').getByText('declared in /').waitFor();
    const declared = (await apiCall(env.ui.base, 'GET', exchangePath('/', name))) as Record<string, unknown>;
    expect(declared).toMatchObject({ name, vhost: '/', type: 'topic', durable: true, auto_delete: false, internal: false });
    // The list loads again at once and shows it.
    const list = page.locator('table.grid');
    await list.getByRole('link', { name, exact: true }).waitFor();
    await screenshot(page, 'exchanges');

    // Filter by name: the filter goes into the URL, and a reload keeps it.
    await page.getByLabel('Filter').fill('ünï');
    await until(() => hashQuery(page).has('name'));
    expect(hashQuery(page).get('name')).toBe('ünï');
    await page.reload();
    await expect(page.getByLabel('Filter').inputValue()).resolves.toBe('ünï');
    await page.getByRole('status').getByText(/^1 of \d+ exchanges$/).waitFor();
    expect(await page.locator('table.grid tbody tr').count()).toBe(1);

    // Open it through the list's link.
    await list.getByRole('link', { name, exact: true }).click();
    await page.getByRole('heading', { name: `Exchange ${name}` }).waitFor();
    expect(new URL(page.url()).hash).toBe(`#/exchanges/%2F/${encodeURIComponent(name)}`);
    await page.getByRole('row', { name: 'Type topic' }).waitFor();

    // Bind the queue with a topic pattern.
    const add = page.getByRole('group', { name: 'Add a binding from this exchange' });
    // The destination box suggests the vhost's queues that contain what is typed (one filtered page from the API).
    await add.getByLabel('Destination queue').fill('q ü');
    const suggested = add.locator('datalist option');
    await suggested.first().waitFor({ state: 'attached' });
    expect(await suggested.evaluateAll((options) => options.map((o) => (o as unknown as { value: string }).value))).toEqual([queue]);
    await add.getByLabel('Destination queue').fill(queue);
    await add.getByLabel('Routing key').fill('a.*');
    await add.getByRole('button', { name: 'Bind' }).click();
    const from = section(page, 'Bindings from this exchange');
    const bindingRow = from.getByRole('row').filter({ hasText: 'a.*' });
    await bindingRow.getByRole('link', { name: queue }).waitFor();
    expect(await bindingRow.getByRole('link', { name: queue }).getAttribute('href')).toBe(`#/queues/%2F/${encodeURIComponent(queue)}`);
    const bound = (await apiCall(env.ui.base, 'GET', `${exchangePath('/', name)}/bindings/source`)) as Array<Record<string, unknown>>;
    expect(bound).toEqual([expect.objectContaining({ destination: queue, destination_type: 'queue', routing_key: 'a.*' })]);

    // Publish a.b with a number header; it arrives on the queue with the header still a number.
    const publish = page.locator('form.publish-form');
    await publish.getByLabel('Routing key').fill('a.b');
    await publish.getByRole('button', { name: 'Add header' }).click();
    await publish.getByLabel('Header 1 name').fill('attempt');
    await publish.getByLabel('Header 1 type').selectOption('number');
    await publish.getByLabel('Header 1 value').fill('42');
    await publish.getByLabel('Payload', { exact: true }).fill('hello ünï <b>');
    await publish.getByRole('button', { name: 'Publish message' }).click();
    await publish.getByText('Message published.').waitFor();
    const got = await channel.get(queue, { noAck: true });
    expect(got).not.toBe(false);
    if (got === false) return;
    expect(got.content.toString('utf8')).toBe('hello ünï <b>');
    expect(got.fields.routingKey).toBe('a.b');
    expect(got.properties.headers?.attempt).toBe(42);
    expect(typeof got.properties.headers?.attempt).toBe('number');
    await screenshot(page, 'exchange');

    // Unbind.
    await bindingRow.getByRole('button', { name: 'Unbind' }).click();
    await from.getByText('No bindings.').waitFor();
    expect(await apiCall(env.ui.base, 'GET', `${exchangePath('/', name)}/bindings/source`)).toEqual([]);

    // A binding to this exchange, from amq.topic: shown on the destination side, with a link to its source.
    const addIn = page.getByRole('group', { name: 'Add a binding to this exchange' });
    await addIn.getByLabel('Source exchange').fill('amq.topic');
    await addIn.getByLabel('Routing key').fill('#');
    await addIn.getByRole('button', { name: 'Bind' }).click();
    const source = section(page, 'Bindings to this exchange').getByRole('link', { name: 'amq.topic' });
    await source.waitFor();
    expect(await source.getAttribute('href')).toBe('#/exchanges/%2F/amq.topic');
    expect(await apiCall(env.ui.base, 'GET', `${exchangePath('/', name)}/bindings/destination`)).toEqual([
      expect.objectContaining({ source: 'amq.topic', destination: name, destination_type: 'exchange', routing_key: '#' }),
    ]);

    // Delete, after the confirm dialog; the page returns to the list of its vhost.
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Delete exchange' }).click();
    await page.getByRole('heading', { name: 'Exchanges' }).waitFor();
    expect(hashQuery(page).get('vhost')).toBe('/');
    const gone = await fetch(`${env.ui.base}${exchangePath('/', name)}`, { headers: GUEST });
    expect(gone.status).toBe(404);
    expect(w.problems).toEqual([]);
  } finally {
    await w.close();
    await channel.deleteQueue(queue);
  }
});

test('the create form offers the types the broker lists, adds x-delayed-type for x-delayed-message, and keeps argument types', async () => {
  const overview = (await apiCall(env.ui.base, 'GET', '/api/overview')) as { exchange_types: Array<{ name: string }> };
  const w = await openPage(env.browser, env.ui.base);
  try {
    await login(w, env.ui.base, 'guest', 'guest', '#/exchanges');
    const form = w.page.locator('form.exch-create');
    const type = form.getByLabel('Type', { exact: true });
    await type.locator('option', { hasText: 'x-delayed-message' }).waitFor({ state: 'attached' });
    const offered = await type.locator('option').allTextContents();
    expect(offered.sort()).toEqual(overview.exchange_types.map((t) => t.name).sort());

    await form.getByLabel('Name', { exact: true }).fill('later ü');
    await type.selectOption('x-delayed-message');
    // The delayed type's own argument arrives with the type, set to direct; the user makes it topic.
    await expect(form.getByLabel('Arguments 1 name').inputValue()).resolves.toBe('x-delayed-type');
    await form.getByLabel('Arguments 1 value').fill('topic');
    await form.getByRole('button', { name: '+ Alternate exchange' }).click();
    await form.getByLabel('Arguments 2 value').fill('amq.fanout');
    await form.getByRole('button', { name: 'Add argument' }).click();
    await form.getByLabel('Arguments 3 name').fill('x-note-count');
    await form.getByLabel('Arguments 3 type').selectOption('number');
    await form.getByLabel('Arguments 3 value').fill('7');
    await form.getByLabel('Durable').uncheck();
    await form.getByRole('button', { name: 'Add exchange' }).click();
    await form.getByRole('status').getByText('declared in /').waitFor();
    expect(await apiCall(env.ui.base, 'GET', exchangePath('/', 'later ü'))).toMatchObject({
      type: 'x-delayed-message',
      durable: false,
      arguments: { 'x-delayed-type': 'topic', 'alternate-exchange': 'amq.fanout', 'x-note-count': 7 },
    });

    // A bad number is refused in the browser, with the reason, before any request.
    await form.getByLabel('Name', { exact: true }).fill('never');
    await form.getByLabel('Arguments 3 value').fill('seven');
    await form.getByRole('button', { name: 'Add exchange' }).click();
    await form.getByRole('alert').getByText("argument x-note-count: 'seven' is not a number").waitFor();
    const never = await fetch(`${env.ui.base}${exchangePath('/', 'never')}`, { headers: GUEST });
    expect(never.status).toBe(404);
    expect(w.problems).toEqual([]);
  } finally {
    await w.close();
    await fetch(`${env.ui.base}${exchangePath('/', 'later ü')}`, { method: 'DELETE', headers: GUEST });
  }
});

test('the default exchange: its list link and its detail page, which round-trips through the URL', async () => {
  const w = await openPage(env.browser, env.ui.base);
  try {
    await login(w, env.ui.base, 'guest', 'guest', '#/exchanges?vhost=%2F');
    const page = w.page;
    const link = page.getByRole('link', { name: '(AMQP default)' });
    expect(await link.getAttribute('href')).toBe('#/exchanges/%2F/');
    await link.click();
    await page.getByRole('heading', { name: 'Exchange (AMQP default)' }).waitFor();
    await page.getByRole('row', { name: 'Type direct' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Exchange (AMQP default)' }).waitFor();
    await page.getByText('every queue is bound to it implicitly', { exact: false }).waitFor();
    expect(await page.getByRole('button', { name: 'Delete exchange' }).count()).toBe(0);
    expect(w.problems).toEqual([]);
  } finally {
    await w.close();
  }
});

test('a deep link to a missing exchange says so, and asks the API once rather than for its bindings too', async () => {
  const w = await openPage(env.browser, env.ui.base);
  try {
    w.allowFailures.push('GET /api/exchanges/%2F/nope%20%C3%BC?');
    const asked: string[] = [];
    w.page.on('request', (r) => {
      if (r.url().includes('/bindings/')) asked.push(r.url());
    });
    await login(w, env.ui.base, 'guest', 'guest', '#/exchanges/%2F/nope%20%C3%BC');
    await w.page.getByRole('heading', { name: 'Exchange nope ü' }).waitFor();
    await w.page.getByRole('status').getByText("There is no exchange 'nope ü' in virtual host '/'").waitFor();
    expect(asked).toEqual([]);
    expect(await w.page.getByRole('button', { name: 'Publish message' }).count()).toBe(0);
    expect(w.problems).toEqual([]);
  } finally {
    await w.close();
  }
});

test("names like '/', '%2F', 'a b' and '<script>' work in links and show as text, in a vhost named '/ü x'", async () => {
  const vhost = '/ü x';
  const names = ['/', '%2F', 'a b', '<script>alert(1)</script>'];
  await apiCall(env.ui.base, 'PUT', `/api/vhosts/${encodeURIComponent(vhost)}`);
  await apiCall(env.ui.base, 'PUT', `/api/permissions/${encodeURIComponent(vhost)}/guest`, { configure: '.*', write: '.*', read: '.*' });
  for (const n of names) await apiCall(env.ui.base, 'PUT', exchangePath(vhost, n), { type: 'fanout', arguments: { 'alternate-exchange': 'a b' } });
  const w = await openPage(env.browser, env.ui.base);
  try {
    // An alert would mean a name ran as script; the only dialog expected is the bulk delete's confirm.
    let alerts = 0;
    w.page.on('dialog', (d) => {
      if (d.type() === 'confirm') void d.accept();
      else {
        alerts++;
        void d.dismiss();
      }
    });
    await login(w, env.ui.base, 'guest', 'guest', `#/exchanges?vhost=${encodeURIComponent(vhost)}`);
    const page = w.page;
    await expect(page.getByLabel('Virtual host', { exact: true }).first().inputValue()).resolves.toBe(vhost);
    for (const n of names) {
      await page.getByRole('link', { name: n, exact: true }).click();
      await page.getByRole('heading', { name: `Exchange ${n}` }).waitFor();
      expect(new URL(page.url()).hash).toBe(`#/exchanges/${encodeURIComponent(vhost)}/${encodeURIComponent(n)}`);
      await page.getByTitle('alternate-exchange: a b').waitFor();
      await page.goBack();
      await page.getByRole('heading', { name: 'Exchanges' }).waitFor();
    }
    expect(await page.locator('script', { hasText: 'alert(1)' }).count()).toBe(0);

    // Bulk delete of two of them, by selection.
    await page.getByLabel(`Select exchange / in ${vhost}`, { exact: true }).check();
    await page.getByLabel(`Select exchange <script>alert(1)</script> in ${vhost}`, { exact: true }).check();
    await page.getByText('2 selected').waitFor();
    await page.getByRole('button', { name: 'Delete selected' }).click();
    await page.getByText('0 selected').waitFor();
    await page.locator('table.grid').getByRole('link', { name: '<script>alert(1)</script>' }).waitFor({ state: 'detached' });
    const left = (await apiCall(env.ui.base, 'GET', `/api/exchanges/${encodeURIComponent(vhost)}`)) as Array<{ name: string }>;
    expect(left.map((x) => x.name).filter((n) => names.includes(n)).sort()).toEqual(['%2F', 'a b']);
    expect(alerts).toBe(0);
    expect(w.problems).toEqual([]);
  } finally {
    await w.close();
  }
});
