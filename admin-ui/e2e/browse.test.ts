/**
 * The message browser and re-drive in a real browser (#/queues/<vh>/<q>?view=browse): reached from the queue's page,
 * paged through a durable backlog larger than the broker's in-memory window, searched (the search stays in the
 * URL), a row opened; then a dry run, its count, and the confirmed re-drive of dead letters back to their exchange.
 */
import * as amqp from 'amqplib';
import type { Page } from 'playwright-core';
import { seriousViolations } from './support/axe';
import { apiCall, login, openPage, screenshot, useUi } from './support/harness';

jest.setTimeout(90000);

const env = useUi();

function acceptNextDialog(page: Page): Promise<string> {
  return new Promise((resolve) => {
    page.once('dialog', (d) => {
      resolve(d.message());
      void d.accept();
    });
  });
}

/** The payload previews shown, in order. */
function shownPayloads(page: Page): Promise<string[]> {
  return page.locator('table.mb-table tbody tr.mb-row td.mb-preview').allTextContents();
}

async function queueReady(name: string): Promise<number> {
  const q = (await apiCall(env.ui.base, 'GET', `/api/queues/%2F/${encodeURIComponent(name)}`)) as { messages_ready?: number; messages?: number };
  return q.messages ?? 0;
}

test('browse a paged durable backlog, search it, open a message, and re-drive dead letters after a dry run', async () => {
  const conn = await amqp.connect(env.ui.broker.url);
  const w = await openPage(env.browser, env.ui.base);
  try {
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('backlog', { durable: true });
    const n = 5000;
    for (let i = 0; i < n; i++) ch.sendToQueue('backlog', Buffer.from(`order ${i}`), { persistent: true, headers: { customer: `c${i % 7}` } });
    await ch.waitForConfirms();
    // Dead letters: rejected from 'work' (bound to 'jobs' with key 'job'), landing in 'work.dlq'.
    await ch.assertExchange('jobs', 'direct', { durable: true });
    await ch.assertExchange('jobs.dlx', 'fanout', { durable: true });
    await ch.assertQueue('work.dlq', { durable: true });
    await ch.bindQueue('work.dlq', 'jobs.dlx', '');
    await ch.assertQueue('work', { durable: true, deadLetterExchange: 'jobs.dlx' });
    await ch.bindQueue('work', 'jobs', 'job');
    for (let i = 0; i < 4; i++) ch.publish('jobs', 'job', Buffer.from(`job ${i}`), { persistent: true });
    await ch.waitForConfirms();
    for (let i = 0; i < 4; i++) {
      let m: amqp.GetMessage | false = false;
      while (m === false) m = await ch.get('work');
      ch.reject(m, false);
    }

    const p = w.page;
    await login(w, env.ui.base, 'guest', 'guest', '#/queues/%2F/backlog');
    await p.getByRole('link', { name: 'Browse and search the messages' }).click();
    await p.getByRole('table', { name: 'Messages' }).waitFor();
    expect(p.url()).toContain('#/queues/%2F/backlog?view=browse');
    expect((await shownPayloads(p)).slice(0, 3)).toEqual(['order 0', 'order 1', 'order 2']);
    expect(await p.getByRole('status').first().textContent()).toContain('5,000 ready messages');

    // Deep: the last page, past the in-memory window.
    await p.getByLabel('Per page').selectOption('500');
    for (let i = 0; i < 9; i++) {
      await p.getByRole('button', { name: 'Next' }).click();
      await p.getByText(`${(500 * (i + 1) + 1).toLocaleString('en')}–`).first().waitFor();
    }
    const last = await shownPayloads(p);
    expect(last[0]).toBe('order 4500');
    expect(last[last.length - 1]).toBe('order 4999');
    expect(p.url()).toContain('offset=4500');

    // Search, kept in the URL; open one message.
    await p.getByLabel('Search').fill('C3');
    await p.getByRole('button', { name: 'Search' }).click();
    await p.getByText('714 matching messages').waitFor();
    expect(p.url()).toContain('search=C3');
    expect((await shownPayloads(p)).slice(0, 2)).toEqual(['order 3', 'order 10']);
    await p.getByRole('button', { name: '3 (the whole message)', exact: true }).click();
    await p.locator('tr.mb-detail pre.q-payload').waitFor();
    expect(await p.locator('tr.mb-detail').textContent()).toContain('c3');
    expect(await seriousViolations(p)).toEqual([]);
    await p.getByLabel('Per page').selectOption('20');
    await p.getByText('1–20 of 714').waitFor();
    await screenshot(p, 'browse');
    expect(await queueReady('backlog')).toBe(n);

    // Re-drive: dry run first, then confirm.
    await p.goto(`${env.ui.base}/#/queues/%2F/work.dlq?view=browse`);
    await p.getByRole('table', { name: 'Messages' }).waitFor();
    expect(await p.locator('table.mb-table tbody tr.mb-row td:nth-child(5)').first().textContent()).toBe('rejected in work');
    await p.getByRole('button', { name: 'Dry run' }).click();
    await p.getByText('4 messages would move').waitFor();
    expect(await queueReady('work.dlq')).toBe(4);
    const dialog = acceptNextDialog(p);
    await p.getByRole('button', { name: 'Re-drive 4 messages' }).click();
    expect(await dialog).toBe("Move 4 messages out of 'work.dlq'?");
    await p.getByText('Moved 4 of 4 messages').waitFor();
    await p.getByText('No ready messages here.').waitFor();
    await screenshot(p, 'redrive');
    expect(await queueReady('work.dlq')).toBe(0);
    expect(await queueReady('work')).toBe(4);
    expect(w.problems).toEqual([]);
  } finally {
    await w.close();
    await conn.close();
  }
});
