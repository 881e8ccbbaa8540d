import { MemoryStore } from '../store/memory';
import { SqliteStore } from '../store/sqlite';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog, detailsJson, type AuditEvent } from './audit';

const event = (name: string, details: Record<string, unknown> = {}): AuditEvent => ({
  user: 'alice',
  source: 'http',
  peer: '10.0.0.1',
  vhost: '/',
  action: 'user.put',
  object: { type: 'user', name },
  details,
  result: 'ok',
});

describe('AuditLog', () => {
  test('details never keep a password or hash, and stay small', () => {
    const json = JSON.parse(detailsJson({ password: 'pw', password_hash: 'h', hashing_algorithm: 'sha', tags: 'a', nested: { secret: 1, ok: 2 } })) as unknown;
    expect(json).toEqual({ tags: 'a', nested: { ok: 2 } });
    const long = JSON.parse(detailsJson({ s: 'x'.repeat(1000) })) as { s: string };
    expect(long.s).toHaveLength(257);
    const big = JSON.parse(detailsJson(Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, 'y'.repeat(200)])))) as Record<string, unknown>;
    expect(big.truncated).toBe(true);
    expect(JSON.stringify(big).length).toBeLessThan(4096);
    expect(JSON.parse(detailsJson({ n: 10n, b: Buffer.from('abc'), deep: { a: { b: { c: { d: 1 } } } } }))).toEqual({ n: '10', b: '<3 bytes>', deep: { a: { b: '…' } } });
  });

  test('records with the clock’s time; refused entries keep their reason, ok ones none; disabled records nothing', () => {
    const store = new MemoryStore();
    let now = 1000;
    const log = new AuditLog(store, { clock: { now: () => now, setTimeout: () => ({}), clearTimeout: () => undefined } });
    log.record(event('bob'));
    now = 2000;
    log.record({ ...event('carol'), result: 'refused', reason: 'not_authorised: Not administrator user' });
    log.record({ ...event('dave'), reason: 'ignored when ok' });
    const { total, items } = log.list({}, 10);
    expect(total).toBe(3);
    expect(items.map((e) => [e.at, e.object.name, e.result, e.reason])).toEqual([
      [2000, 'dave', 'ok', undefined],
      [2000, 'carol', 'refused', 'not_authorised: Not administrator user'],
      [1000, 'bob', 'ok', undefined],
    ]);
    expect(log.export({ since: 1500 }).map((e) => e.object.name)).toEqual(['carol', 'dave']);
    const off = new AuditLog(new MemoryStore(), { enabled: false });
    off.record(event('x'));
    expect(off.list({}, 10).total).toBe(0);
  });

  test('prunes to maxEntries in the background every 1000 entries, and by age', async () => {
    const store = new MemoryStore();
    let now = 0;
    const log = new AuditLog(store, { maxEntries: 500, maxAgeMs: 10_000, clock: { now: () => now, setTimeout: () => ({}), clearTimeout: () => undefined } });
    for (let i = 0; i < 999; i++) log.record(event(`u${i}`));
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.auditCount({})).toBe(999);
    log.record(event('u999'));
    expect(store.auditCount({})).toBe(1000); // not in the recording turn
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.auditCount({})).toBe(500);
    expect(log.list({}, 1).items[0]!.object.name).toBe('u999');
    now = 20_000;
    log.prune();
    expect(store.auditCount({})).toBe(0);
  });

  test('a prune due after the store closed does not throw from its setImmediate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'leveret-audit-unit-'));
    try {
      const store = SqliteStore.open({ dataDir: dir, writerThread: 'never' });
      const log = new AuditLog(store);
      for (let i = 0; i < 1000; i++) log.record(event(`u${i}`));
      await store.close();
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
