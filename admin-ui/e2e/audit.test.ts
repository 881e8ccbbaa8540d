/**
 * The Audit page in a real browser: changes made over HTTP and AMQP, and one refused, show up newest first with
 * their user, source, action and object, the refused one marked; the filters (user, action, vhost, since) live in
 * the URL (a reload keeps them); a row's details open; Export downloads the filtered entries; a user without the
 * administrator tag gets no Audit entry in the navigation.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as amqp from 'amqplib';
import { apiCall, login, openPage, screenshot, useUi } from './support/harness';

jest.setTimeout(90000);

const env = useUi();

beforeAll(async () => {
  const base = env.ui.base;
  await apiCall(base, 'PUT', '/api/users/audit-viewer', { password: 'viewer pw', tags: 'management' });
  await apiCall(base, 'PUT', '/api/permissions/%2F/audit-viewer', { configure: '', write: '', read: '.*' });
  await apiCall(base, 'PUT', '/api/queues/%2F/audit.http', { durable: true });
  // A refused change: the viewer is no administrator.
  const refused = await fetch(`${base}/api/vhosts/audit-denied`, {
    method: 'PUT',
    headers: { authorization: `Basic ${Buffer.from('audit-viewer:viewer pw').toString('base64')}`, 'content-type': 'application/json' },
    body: '{}',
  });
  expect(refused.status).toBe(401);
  const conn = await amqp.connect(env.ui.broker.url);
  const ch = await conn.createChannel();
  await ch.assertExchange('audit.x', 'direct', { durable: true });
  await ch.assertQueue('audit.amqp', { durable: true });
  await ch.bindQueue('audit.amqp', 'audit.x', 'k');
  await conn.close();
});

test('entries with result colouring, filters kept in the URL, details, export; hidden from non-administrators', async () => {
  const w = await openPage(env.browser, env.ui.base);
  try {
    await login(w, env.ui.base);
    await w.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).click();
    const table = w.page.getByRole('table', { name: 'Audit log' });
    const rows = table.locator('tbody tr');
    await rows.first().waitFor();
    // Newest first: the AMQP binding, then the declares; the refused vhost.put further down.
    await expect(rows.nth(0).locator('td').nth(5).textContent()).resolves.toBe('binding.create');
    const refusedRow = rows.filter({ hasText: 'vhost.put' });
    await expect(refusedRow.getAttribute('class')).resolves.toBe('audit-refused');
    await expect(refusedRow.locator('.audit-reason').textContent()).resolves.toBe('not_authorised: Not administrator user');
    await expect(refusedRow.locator('td').nth(1).textContent()).resolves.toBe('audit-viewer');
    const amqpRow = rows.filter({ hasText: 'audit.amqp' }).filter({ hasText: 'queue.declare' });
    await expect(amqpRow.locator('td').nth(2).textContent()).resolves.toBe('amqp');
    await expect(amqpRow.getAttribute('class')).resolves.toBe('audit-ok');
    // The user's password never shows: the user.put entry's details have the tags only.
    const userRow = rows.filter({ hasText: 'user.put' });
    await userRow.getByRole('button', { name: /Details of entry/ }).click();
    const details = w.page.locator('tr.audit-details pre');
    await expect(details.textContent()).resolves.toContain('"tags": "management"');
    await expect(details.textContent()).resolves.not.toContain('viewer pw');
    await screenshot(w.page, 'audit');

    // Filter by action type and user; the URL keeps them, and a reload shows the same view.
    await w.page.getByLabel('Action').fill('queue');
    await w.page.getByLabel('Action').press('Enter');
    await w.page.waitForURL(/action=queue/);
    await w.page.getByRole('status').filter({ hasText: /^2 of 2 entries$/ }).waitFor();
    await expect(rows.locator('td:nth-child(6)').allTextContents()).resolves.toEqual(['queue.declare', 'queue.declare']);
    await w.page.getByLabel('User').fill('audit-viewer');
    await w.page.getByLabel('User').press('Enter');
    await w.page.waitForURL(/user=audit-viewer/);
    await w.page.getByText('No entries match.').waitFor();
    await w.page.reload();
    await w.page.getByText('No entries match.').waitFor();
    await expect(w.page.getByLabel('User').inputValue()).resolves.toBe('audit-viewer');
    await expect(w.page.getByLabel('Action').inputValue()).resolves.toBe('queue');
    await w.page.getByLabel('Action').fill('');
    await w.page.getByLabel('Action').press('Enter');
    await w.page.getByRole('status').filter({ hasText: /^1 of 1 entries$/ }).waitFor();
    await expect(rows.locator('td:nth-child(6)').allTextContents()).resolves.toEqual(['vhost.put']);
    // Since: a time after everything so far matches nothing.
    await w.page.getByLabel('User').fill('');
    await w.page.getByLabel('User').press('Enter');
    await w.page.getByLabel('Since').fill('2999-01-01T00:00');
    await w.page.waitForURL(/since=2999/);
    await w.page.getByText('No entries match.').waitFor();
    await w.page.getByLabel('Since').fill('');
    await w.page.getByLabel('Virtual host').selectOption('/');
    await w.page.waitForURL(/vhost=%2F/);
    await w.page.getByRole('status').filter({ hasText: /^5 of 5 entries$/ }).waitFor();

    // Export: the filtered entries, oldest first, as a file.
    const downloading = w.page.waitForEvent('download');
    await w.page.getByRole('button', { name: 'Export' }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toMatch(/^leveret-audit-\d{4}-\d{2}-\d{2}\.json$/);
    const file = join(mkdtempSync(join(tmpdir(), 'leveret-audit-ui-')), download.suggestedFilename());
    await download.saveAs(file);
    const exported = JSON.parse(readFileSync(file, 'utf8')) as { leveret_version: string; audit: Array<{ action: string; vhost: string }> };
    expect(typeof exported.leveret_version).toBe('string');
    expect(exported.audit.map((e) => e.action)).toEqual(['permission.put', 'queue.declare', 'exchange.declare', 'queue.declare', 'binding.create']);
    expect(exported.audit.every((e) => e.vhost === '/')).toBe(true);
    expect(w.problems).toEqual([]);
  } finally {
    await w.close();
  }

  // A management user without the administrator tag has no Audit page in the navigation.
  const v = await openPage(env.browser, env.ui.base);
  try {
    await login(v, env.ui.base, 'audit-viewer', 'viewer pw');
    await v.page.getByRole('link', { name: 'Overview' }).waitFor();
    expect(await v.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).count()).toBe(0);
    expect(v.problems).toEqual([]);
  } finally {
    await v.close();
  }
});
