/**
 * Queue health (issue 15) in a real browser: the queue page's Health block in words, and the list's Health badge,
 * "Oldest" and "Empties in" columns, sorted by the API on leveret_health.* (checked against what the API answers).
 */
import * as amqp from 'amqplib';
import { apiCall, login, openPage, screenshot, useUi } from './support/harness';

jest.setTimeout(60000);

let conn: amqp.ChannelModel | undefined;
afterAll(async () => {
  await conn?.close();
});
const env = useUi();

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Health {
  oldest_ready_age_ms: number;
  time_to_empty_s: number | null;
  state: string;
}

test('the queue page shows the Health block; the list sorts by Oldest and shows the badge', async () => {
  conn = await amqp.connect(env.ui.broker.url);
  const ch = await conn.createChannel();
  await ch.assertQueue('health old', { durable: false });
  await ch.assertQueue('health new', { durable: false });
  await ch.assertQueue('health empty', { durable: false });
  ch.sendToQueue('health old', Buffer.from('a'));
  await new Promise((r) => setTimeout(r, 1_200));
  ch.sendToQueue('health new', Buffer.from('b'));
  await until('both ready', async () => {
    const qs = (await apiCall(env.ui.base, 'GET', '/api/queues?columns=name,messages_ready')) as Array<{ name: string; messages_ready: number }>;
    return qs.filter((q) => q.name.startsWith('health ') && q.messages_ready === 1).length === 2;
  });

  const w = await openPage(env.browser, env.ui.base);
  try {
    const p = w.page;
    await login(w, env.ui.base, 'guest', 'guest', '#/queues/%2F/health%20old');
    const block = p.locator('section').filter({ has: p.getByRole('heading', { name: 'Health' }) });
    await block.waitFor();
    const row = (name: string) => block.getByRole('row').filter({ has: p.getByRole('rowheader', { name, exact: true }) }).getByRole('cell');
    expect(await row('State').textContent()).toMatch(/^No consumers/);
    await until('oldest in words', async () => /^oldest message \d+ s$/.test((await row('Oldest message').textContent()) ?? ''));
    expect(await row('Time to empty').textContent()).toBe('not draining');
    expect(await row('Consumer utilisation').textContent()).toBe('0%');
    const api = (await apiCall(env.ui.base, 'GET', '/api/queues/%2F/health%20old')) as { leveret_health: Health };
    expect(api.leveret_health.state).toBe('no_consumers');
    await screenshot(p, 'queue-health-block');

    // The list: name filter, sorted by Oldest, descending (a second click), through the API's sort.
    await p.goto(`${env.ui.base}/#/queues?name=health`);
    const table = p.locator('.list table.grid');
    await table.getByRole('columnheader', { name: /Oldest/ }).waitFor();
    const headers = await table.locator('thead th').allTextContents();
    expect(headers.slice(-3).map((h) => h.replace(/[▲▼]/g, '').trim())).toEqual(['Health', 'Oldest', 'Empties in']);
    const sorted = p.waitForResponse((r) => r.url().includes('sort=leveret_health.oldest_ready_age_ms') && r.url().includes('sort_reverse=true'));
    await table.getByRole('button', { name: /Oldest/ }).click();
    await table.getByRole('button', { name: /Oldest/ }).click();
    await sorted;
    await until('sorted rows', async () => {
      const names = await p.locator('.list table.grid tbody tr td:nth-child(2) a').allTextContents();
      return names.join('|') === 'health old|health new|health empty';
    });
    const oldRow = table.locator('tbody tr').filter({ hasText: 'health old' });
    expect(await oldRow.locator('.q-health').textContent()).toBe('No consumers');
    const cells = await oldRow.getByRole('cell').allTextContents();
    expect(cells.slice(-2)[0]).toMatch(/^\d+ s$/);
    expect(cells.slice(-1)[0]).toBe('not draining');
    const emptyCells = await table.locator('tbody tr').filter({ hasText: 'health empty' }).getByRole('cell').allTextContents();
    expect(emptyCells.slice(-3)).toEqual(['OK', '—', 'empty']);
    await screenshot(p, 'queue-health-list');
    expect(w.problems).toEqual([]);
  } finally {
    await w.close();
  }
});
