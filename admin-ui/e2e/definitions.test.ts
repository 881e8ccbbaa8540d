/**
 * Definitions export from one broker and import into a fresh one, through the overview page: the export is a file
 * download (authenticated by the session cookie, no credentials in a URL), the import shows a preview of what it
 * creates and changes before anything is applied, and afterwards the second broker's API has every object.
 */
import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { seriousViolations } from './support/axe';
import { apiCall, launchBrowser, login, openPage, screenshot, startUiBroker, type UiBroker, type WatchedPage } from './support/harness';

jest.setTimeout(90000);

let a: UiBroker;
let b: UiBroker | undefined;
let browser: Browser;

const VHOST = 'defs vhost ü';
const USER = 'alice ü';
const QUEUE = 'orders ü';
const EXCHANGE = 'events x';
const POLICY = 'orders ttl';
const e = encodeURIComponent;

beforeAll(async () => {
  a = await startUiBroker();
  browser = await launchBrowser();
  await apiCall(a.base, 'PUT', `/api/vhosts/${e(VHOST)}`, {});
  await apiCall(a.base, 'PUT', `/api/users/${e(USER)}`, { password: 'secret', tags: 'monitoring' });
  await apiCall(a.base, 'PUT', `/api/permissions/${e(VHOST)}/${e(USER)}`, { configure: '', write: '.*', read: '.*' });
  await apiCall(a.base, 'PUT', `/api/permissions/${e(VHOST)}/guest`, { configure: '.*', write: '.*', read: '.*' });
  await apiCall(a.base, 'PUT', `/api/queues/%2F/${e(QUEUE)}`, { durable: true, arguments: { 'x-max-length': 100 } });
  await apiCall(a.base, 'PUT', `/api/queues/${e(VHOST)}/${e(QUEUE)}`, { durable: true });
  await apiCall(a.base, 'PUT', `/api/exchanges/${e(VHOST)}/${e(EXCHANGE)}`, { type: 'topic', durable: true });
  await apiCall(a.base, 'POST', `/api/bindings/${e(VHOST)}/e/${e(EXCHANGE)}/q/${e(QUEUE)}`, { routing_key: 'order.#' });
  await apiCall(a.base, 'PUT', `/api/policies/%2F/${e(POLICY)}`, { pattern: '^orders', definition: { 'message-ttl': 60000 }, 'apply-to': 'queues' });
});

afterAll(async () => {
  await browser?.close();
  await a?.close();
  await b?.close();
});

/** The preview's row of a kind: [created, changed, unchanged] counts and the objects listed. */
async function kindRow(w: WatchedPage, kind: string): Promise<{ counts: string[]; objects: string }> {
  const row = w.page.getByRole('table', { name: 'Import preview' }).getByRole('row').filter({ has: w.page.getByRole('rowheader', { name: kind, exact: true }) });
  const cells = await row.getByRole('cell').allTextContents();
  return { counts: cells.slice(0, 3), objects: cells[3] ?? '' };
}

test('export from broker A as a download, preview and import into a fresh broker B, every object there', async () => {
  // Export through the UI on A.
  const wa = await openPage(browser, a.base);
  const urls: string[] = [];
  wa.page.on('request', (r) => urls.push(r.url()));
  await login(wa, a.base);
  const downloading = wa.page.waitForEvent('download');
  await wa.page.getByRole('button', { name: 'Export definitions' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/^leveret-definitions-\d{4}-\d{2}-\d{2}\.json$/);
  // Kept past the context's close (which deletes its downloads), under the name the user would get.
  const file = join(mkdtempSync(join(tmpdir(), 'leveret-defs-')), download.suggestedFilename());
  await download.saveAs(file);
  const exported = JSON.parse(await readFile(file, 'utf8')) as { queues: Array<{ name: string; vhost: string }> };
  expect(exported.queues.map((q) => `${q.vhost}|${q.name}`).sort()).toEqual([`/|${QUEUE}`, `${VHOST}|${QUEUE}`]);
  expect(urls.filter((u) => u.includes('/api/definitions'))).toHaveLength(1);
  expect(urls.some((u) => /[?&]auth=/.test(u))).toBe(false);
  expect(wa.problems).toEqual([]);
  await wa.close();

  // A fresh broker B; its administrator is not in the file (guest's password hash in it would end guest's session).
  b = await startUiBroker();
  await apiCall(b.base, 'PUT', '/api/users/importer', { password: 'imp', tags: 'administrator' });
  const w = await openPage(browser, b.base);
  await login(w, b.base, 'importer', 'imp');
  await w.page.getByLabel('Definitions file to import').setInputFiles(file);
  await w.page.getByRole('table', { name: 'Import preview' }).waitFor();

  const vhosts = await kindRow(w, 'Virtual hosts');
  expect(vhosts.counts.slice(0, 2)).toEqual(['1', '0']);
  expect(vhosts.objects).toContain(`created:${VHOST}`);
  const users = await kindRow(w, 'Users');
  expect(users.counts[0]).toBe('1');
  expect(users.objects).toContain(`created:${USER}`);
  const permissions = await kindRow(w, 'Permissions');
  expect(permissions.counts[0]).toBe('2');
  expect(permissions.objects).toContain(`${USER} in vhost ${VHOST}`);
  expect(permissions.objects).toContain(`guest in vhost ${VHOST}`);
  expect(await kindRow(w, 'Queues')).toEqual({ counts: ['2', '0', '0'], objects: `created:${QUEUE} in vhost /${QUEUE} in vhost ${VHOST}` });
  expect(await kindRow(w, 'Exchanges')).toEqual({ counts: ['1', '0', '0'], objects: `created:${EXCHANGE} in vhost ${VHOST}` });
  expect(await kindRow(w, 'Bindings')).toEqual({ counts: ['1', '0', '0'], objects: `created:${EXCHANGE} → queue ${QUEUE} (order.#) in vhost ${VHOST}` });
  expect(await kindRow(w, 'Policies')).toEqual({ counts: ['1', '0', '0'], objects: `created:${POLICY} in vhost /` });
  // Nothing is applied before the Import button.
  await expect(apiCall(b.base, 'GET', `/api/queues/%2F/${e(QUEUE)}`)).rejects.toThrow(/404/);
  expect((await seriousViolations(w.page)).map((v) => `${v.id}: ${v.help}`)).toEqual([]);
  await screenshot(w.page, 'definitions-preview');

  await w.page.getByRole('button', { name: 'Import', exact: true }).click();
  await w.page.getByRole('status').filter({ hasText: 'Imported' }).waitFor();
  expect(await w.page.getByRole('table', { name: 'Import preview' }).count()).toBe(0);

  // Every object is on B now.
  expect(await apiCall(b.base, 'GET', `/api/vhosts/${e(VHOST)}`)).toMatchObject({ name: VHOST });
  expect(await apiCall(b.base, 'GET', `/api/users/${e(USER)}`)).toMatchObject({ name: USER, tags: ['monitoring'] });
  expect(await apiCall(b.base, 'GET', `/api/permissions/${e(VHOST)}/${e(USER)}`)).toMatchObject({ configure: '', write: '.*', read: '.*' });
  expect(await apiCall(b.base, 'GET', `/api/queues/%2F/${e(QUEUE)}`)).toMatchObject({ name: QUEUE, durable: true, arguments: { 'x-max-length': 100 } });
  expect(await apiCall(b.base, 'GET', `/api/queues/${e(VHOST)}/${e(QUEUE)}`)).toMatchObject({ name: QUEUE });
  expect(await apiCall(b.base, 'GET', `/api/exchanges/${e(VHOST)}/${e(EXCHANGE)}`)).toMatchObject({ name: EXCHANGE, type: 'topic' });
  const bindings = (await apiCall(b.base, 'GET', `/api/bindings/${e(VHOST)}/e/${e(EXCHANGE)}/q/${e(QUEUE)}`)) as Array<{ routing_key: string }>;
  expect(bindings.map((x) => x.routing_key)).toEqual(['order.#']);
  expect(await apiCall(b.base, 'GET', `/api/policies/%2F/${e(POLICY)}`)).toMatchObject({ pattern: '^orders', definition: { 'message-ttl': 60000 } });
  // The imported user logs in with its password from A.
  const alice = await fetch(`${b.base}/api/whoami`, { headers: { authorization: `Basic ${Buffer.from(`${USER}:secret`).toString('base64')}` } });
  expect(alice.status).toBe(200);

  // Picking the same file again: everything is unchanged now.
  await w.page.getByLabel('Definitions file to import').setInputFiles(file);
  await w.page.getByRole('table', { name: 'Import preview' }).waitFor();
  expect((await kindRow(w, 'Queues')).counts).toEqual(['0', '0', '2']);
  expect(w.problems).toEqual([]);
  await w.close();
});

test('a file that is not a definitions document is refused before anything is sent; others do not see the section', async () => {
  const w = await openPage(browser, a.base);
  await login(w, a.base);
  await w.page.getByLabel('Definitions file to import').setInputFiles({ name: 'notes.json', mimeType: 'application/json', buffer: Buffer.from('[1, 2]') });
  await w.page.getByRole('alert').filter({ hasText: 'not a definitions document' }).waitFor();
  expect(await w.page.getByRole('table', { name: 'Import preview' }).count()).toBe(0);
  expect(w.problems).toEqual([]);
  await w.close();

  await apiCall(a.base, 'PUT', '/api/users/monitor', { password: 'm', tags: 'monitoring' });
  const m = await openPage(browser, a.base);
  await login(m, a.base, 'monitor', 'm');
  await m.page.getByRole('heading', { name: 'Totals' }).waitFor();
  expect(await m.page.getByRole('heading', { name: 'Definitions' }).count()).toBe(0);
  expect(await m.page.getByRole('button', { name: 'Export definitions' }).count()).toBe(0);
  expect(m.problems).toEqual([]);
  await m.close();
});
