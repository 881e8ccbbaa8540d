/**
 * Every main page of the UI, in one pass: it loads and shows its heading with no console error, CSP violation,
 * failed request or request to another origin, has no serious accessibility violation (axe-core, WCAG 2.1 AA), and
 * gets a screenshot (.tmp/ui-screenshots/page-*.png) in the light and the dark theme.
 */
import * as amqp from 'amqplib';
import { seriousViolations } from './support/axe';
import { apiCall, login, openPage, screenshot, useUi } from './support/harness';
jest.setTimeout(120000);
let conn: amqp.ChannelModel;
// Declared before useUi so that it runs first, while the broker is still up.
afterAll(async () => {
  await conn?.close().catch(() => undefined);
});
const env = useUi();
const PAGES: ReadonlyArray<readonly [name: string, hash: string]> = [
  ['overview', '#/'],
  ['connections', '#/connections'],
  ['channels', '#/channels'],
  ['exchanges', '#/exchanges'],
  ['exchange', '#/exchanges/%2F/pages.x'],
  ['queues', '#/queues'],
  ['queue', '#/queues/%2F/pages%20q'],
  ['routing', '#/routing?vhost=%2F&exchange=pages.x'],
  ['tail', '#/tail?vhost=%2F&queue=pages%20q'],
  ['queue-browse', '#/queues/%2F/pages%20q?view=browse'],
  ['admin', '#/admin'],
  ['admin-users', '#/admin/users'],
  ['admin-user', '#/admin/users/guest'],
  ['admin-vhosts', '#/admin/vhosts'],
  ['admin-vhost', '#/admin/vhosts/%2F'],
  ['admin-policies', '#/admin/policies'],
  ['admin-limits', '#/admin/limits'],
  ['audit', '#/audit'],
];
beforeAll(async () => {
  conn = await amqp.connect(env.ui.broker.url, { clientProperties: { connection_name: 'pages test' } });
  const ch = await conn.createChannel();
  await ch.prefetch(10);
  await ch.assertExchange('pages.x', 'topic');
  await ch.assertQueue('pages q', { arguments: { 'x-max-length': 100 } });
  await ch.bindQueue('pages q', 'pages.x', 'pages.#');
  for (let i = 0; i < 20; i++) ch.publish('pages.x', 'pages.one', Buffer.from(`message ${i}`));
  await ch.consume('pages q', () => undefined, { noAck: false });
  await apiCall(env.ui.base, 'PUT', '/api/policies/%2F/pages-policy', { pattern: '^pages', definition: { 'max-length': 1000 }, 'apply-to': 'queues' });
});
test.each(['light', 'dark'])('every main page loads cleanly and accessibly in the %s theme', async (themeName) => {
  const w = await openPage(env.browser, env.ui.base);
  try {
    await w.page.emulateMedia({ colorScheme: themeName as 'light' | 'dark' });
    await login(w, env.ui.base);
    const failures: string[] = [];
    for (const [name, hash] of PAGES) {
      await w.page.goto(`${env.ui.base}/${hash}`);
      await w.page.locator('main h1').first().waitFor();
      await w.page.waitForFunction(() => !String((globalThis as unknown as { document: { querySelector(s: string): { textContent: string } | null } }).document.querySelector('main')?.textContent).includes('Loading…'));
      // Let live data and charts settle before judging the page.
      await w.page.waitForTimeout(300);
      for (const v of await seriousViolations(w.page)) failures.push(`${name}: ${v.id} (${v.impact}) ${v.help} at ${v.targets.slice(0, 3).join(', ')}`);
      await screenshot(w.page, `page-${name}-${themeName}`);
    }
    expect(failures).toEqual([]);
    expect(w.problems).toEqual([]);
  } finally {
    await w.close();
  }
});
test('the accessibility check catches a violation when there is one (an input without a label)', async () => {
  const w = await openPage(env.browser, env.ui.base);
  try {
    await login(w, env.ui.base);
    await w.page.locator('main h1').first().waitFor();
    await w.page.evaluate("document.querySelector('main').appendChild(document.createElement('input'))");
    const ids = (await seriousViolations(w.page)).map((v) => v.id);
    expect(ids).toContain('label');
  } finally {
    await w.close();
  }
});
