/**
 * Hostile names and contents are shown as text, never run, and awkward names round-trip through links. Markup and
 * script in a vhost, queue and exchange name, a message body, headers and client properties; names such as `/`,
 * `%2F`, `a b`, `ü ☃ 東京` and `#?&=` in deep links (each path segment is encoded on its own). A script that ran would
 * set window.__xss or load the image `x` (a request the harness reports as a failure).
 */
import * as amqp from 'amqplib';
import { apiCall, login, openPage, useUi, type WatchedPage } from './support/harness';
jest.setTimeout(90000);
const HOSTILE = `<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>`;
const AWKWARD = ['/', '%2F', 'a b', 'ü ☃ 東京', '#?&=', HOSTILE];
let conn: amqp.ChannelModel;
// Declared before useUi so that it runs first, while the broker is still up.
afterAll(async () => {
  await conn?.close().catch(() => undefined);
});
const env = useUi();
beforeAll(async () => {
  await apiCall(env.ui.base, 'PUT', `/api/vhosts/${encodeURIComponent(HOSTILE)}`);
  await apiCall(env.ui.base, 'PUT', `/api/permissions/${encodeURIComponent(HOSTILE)}/guest`, { configure: '.*', write: '.*', read: '.*' });
  conn = await amqp.connect(env.ui.broker.url, { clientProperties: { connection_name: HOSTILE, product: HOSTILE } });
  const ch = await conn.createChannel();
  await ch.assertQueue('..');
  for (const name of AWKWARD) {
    await ch.assertQueue(name);
    await ch.assertExchange(`x ${name}`, 'fanout');
  }
  ch.sendToQueue(HOSTILE, Buffer.from(`<script>window.__xss=3</script><img src=x onerror="window.__xss=4">`), {
    headers: { [HOSTILE]: HOSTILE },
    contentType: HOSTILE,
  });
  // Left open: the channels page lists it.
});
async function noScriptRan(w: WatchedPage): Promise<void> {
  expect(await w.page.evaluate('window.__xss')).toBeUndefined();
  expect(await w.page.locator('img').count()).toBe(0);
  expect(w.problems).toEqual([]);
}
/** The hash of an object's page, each segment encoded as the UI's links encode them. */
function hashOf(...segments: string[]): string {
  return `#/${segments.map(encodeURIComponent).join('/')}`;
}
test('hostile names and message contents are text on every page that shows them', async () => {
  const w = await openPage(env.browser, env.ui.base);
  try {
    await login(w, env.ui.base);
    const visits: Array<[string, string]> = [
      [hashOf('queues'), 'queues'],
      [`${hashOf('queues')}?name=${encodeURIComponent('<img')}`, 'queues filtered'],
      [hashOf('queues', '/', HOSTILE), 'queue'],
      [hashOf('exchanges'), 'exchanges'],
      [hashOf('exchanges', '/', `x ${HOSTILE}`), 'exchange'],
      [hashOf('connections'), 'connections'],
      [hashOf('admin', 'vhosts'), 'vhosts'],
      [hashOf('admin', 'vhosts', HOSTILE), 'vhost'],
    ];
    for (const [hash, label] of visits) {
      await w.page.goto(`${env.ui.base}/${hash}`);
      // Visible text in the page (the vhost selector's options hold it too, hidden).
      const shown = w.page.locator('main').getByText(HOSTILE, { exact: false }).filter({ visible: true });
      await shown.first().waitFor({ timeout: 10000 }).catch(() => {
        throw new Error(`${label}: the hostile name is not shown as text`);
      });
      await noScriptRan(w);
    }
    // The message itself: body, header and property as text.
    await w.page.goto(`${env.ui.base}/${hashOf('queues', '/', HOSTILE)}`);
    await w.page.getByRole('button', { name: 'Get messages' }).click();
    const message = w.page.getByRole('article', { name: 'Message 1' });
    await message.getByText('<script>window.__xss=3</script>', { exact: false }).waitFor();
    expect(await message.textContent()).toContain(HOSTILE);
    await noScriptRan(w);
  } finally {
    await w.close();
  }
});
test.each(AWKWARD.map((name) => [name]))('deep links round-trip for the queue and exchange named %j', async (name) => {
  const w = await openPage(env.browser, env.ui.base);
  try {
    await login(w, env.ui.base);
    // Opened from its link in the filtered list…
    await w.page.goto(`${env.ui.base}/${hashOf('queues')}?name=${encodeURIComponent(name)}`);
    await w.page.getByRole('link', { name, exact: true }).first().click();
    await w.page.getByRole('heading', { level: 1 }).getByText(name, { exact: true }).waitFor();
    const url = w.page.url();
    expect(url.endsWith(hashOf('queues', '/', name))).toBe(true);
    // …and straight from that address in a fresh load.
    await w.page.goto('about:blank');
    await w.page.goto(url);
    await w.page.getByRole('heading', { level: 1 }).getByText(name, { exact: true }).waitFor();
    await w.page.goto(`${env.ui.base}/${hashOf('exchanges', '/', `x ${name}`)}`);
    await w.page.getByRole('heading', { level: 1 }).getByText(`x ${name}`, { exact: true }).waitFor({ timeout: 5000 }).catch(async (err: unknown) => {
      throw new Error(`${String(err)}\n${w.page.url()}\n${await w.page.locator('main').innerText()}`);
    });
    await noScriptRan(w);
  } finally {
    await w.close();
  }
});
test("a queue named '..' is listed; its own page explains why it cannot open (browsers drop '..' from request paths)", async () => {
  const w = await openPage(env.browser, env.ui.base);
  try {
    await login(w, env.ui.base);
    await w.page.goto(`${env.ui.base}/${hashOf('queues')}?name=${encodeURIComponent('..')}`);
    await w.page.getByRole('link', { name: '..', exact: true }).click();
    await w.page.getByText("An object named '..' cannot be opened here").waitFor();
    expect(w.problems).toEqual([]);
  } finally {
    await w.close();
  }
});
