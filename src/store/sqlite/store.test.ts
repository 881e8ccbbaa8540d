/**
 * The SqliteStore: the whole store contract, and what is particular to SQLite (space given back, the expiry index,
 * the delayed-message overlay, group commit and its failures). Opening and locking: open.test.ts; the writer
 * thread: writer.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { SqliteStore } from './store';
import { PAGE_SIZE } from './open';
import type { MessageRecord, Store } from '../store';
import { storeContract } from '../test-support/contract';
import { Calls, contractFixture, HandClock, storeError, tempDir } from './test-support/helpers';

storeContract('SqliteStore', () => contractFixture('leveret-store-'));

function msg(store: Store, body: string): MessageRecord {
  return { id: store.nextMessageId(), exchange: '', routingKey: 'q', properties: Buffer.alloc(2), body: Buffer.from(body) };
}

describe('SqliteStore', () => {
  let dir: string;
  const open: SqliteStore[] = [];

  function openStore(options: Partial<Parameters<typeof SqliteStore.open>[0]> = {}): SqliteStore {
    const s = SqliteStore.open({ dataDir: dir, ...options });
    open.push(s);
    return s;
  }

  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('space', () => {
    test('the file gives freed pages back to the file system after a backlog is removed (incremental auto-vacuum)', async () => {
      const store = openStore();
      const queueId = store.putQueue({ vhost: '/', name: 'big', durable: true, autoDelete: false, arguments: {} });
      const body = Buffer.alloc(16 * 1024, 7);
      for (let i = 1; i <= 600; i++) {
        store.enqueue(queueId, i, { id: store.nextMessageId(), exchange: '', routingKey: 'big', properties: Buffer.from([0, 0]), body });
      }
      await store.flush();
      const dbFile = path.join(dir, 'leveret.db');
      const checkpoint = (): void => void store.pragma('journal_mode');
      checkpoint();
      expect(store.purge(queueId)).toBe(600);
      await store.flush();
      const free = store.reclaimSpace(1_000_000);
      // 600 bodies of 16 KiB: more than 8 MiB of pages were freed (new files use PAGE_SIZE pages).
      expect(free * PAGE_SIZE).toBeGreaterThan(8 * 1024 * 1024);
      expect(store.reclaimSpace(1_000_000)).toBe(0);
      await store.close();
      // After the close checkpoints the WAL, the database file holds only what is still used.
      expect(fs.statSync(dbFile).size).toBeLessThan(1024 * 1024);
    });
  });

  describe('expiry deadlines', () => {
    function plan(s: SqliteStore, sql: string): string {
      const db = (s as unknown as { db: Database.Database }).db;
      return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(1, 0, 0, 10) as { detail: string }[]).map((r) => r.detail).join('; ');
    }

    test('nextExpiry and loadExpired read the partial expiry index, never the whole queue', () => {
      const s = openStore();
      const nextExpiry = plan(s, `SELECT expires_at FROM queue_entries
        WHERE queue_id = ? AND expires_at > 0 AND seq > ? AND ? = ? ORDER BY expires_at LIMIT 1`);
      expect(nextExpiry).toContain('queue_entries_by_expiry');
      expect(nextExpiry).not.toContain('TEMP B-TREE');
      const loadExpired = plan(s, `SELECT e.seq FROM queue_entries e JOIN messages m ON m.id = e.message_id
        WHERE e.queue_id = ? AND e.expires_at > 0 AND e.expires_at <= ? AND e.seq > ? ORDER BY e.expires_at, e.seq LIMIT ?`);
      expect(loadExpired).toContain('queue_entries_by_expiry');
      expect(loadExpired).not.toContain('TEMP B-TREE');
    });

    test('a queue of 300,000 entries, few of them expiring, answers in a few milliseconds at most', async () => {
      const s = openStore({ durability: 'relaxed' });
      const q = s.putQueue({ vhost: '/', name: 'big', durable: true, autoDelete: false, arguments: {} });
      const body = Buffer.from('x');
      for (let seq = 1; seq <= 300_000; seq++) {
        const expiresAt = seq % 50_000 === 0 ? 2_000_000_000_000 - seq : 0;
        s.enqueue(q, seq, { id: s.nextMessageId(), exchange: '', routingKey: 'big', properties: Buffer.alloc(2), body }, expiresAt);
      }
      await s.flush();
      const started = process.hrtime.bigint();
      for (let i = 0; i < 100; i++) {
        expect(s.nextExpiry(q, 0)).toBe(2_000_000_000_000 - 300_000);
        expect(s.loadExpired(q, 0, 2_000_000_000_000, 10).map((e) => e.seq)).toEqual([300_000, 250_000, 200_000, 150_000, 100_000, 50_000]);
      }
      const perPair = Number(process.hrtime.bigint() - started) / 1e6 / 100;
      expect(perPair).toBeLessThan(5); // a scan of the queue would take tens of ms
    }, 30_000);
  });

  describe('delayed messages', () => {
    const T = 1_700_000_000_000;
    function record(s: SqliteStore, dueAt: number, exchange = 'dx') {
      return { id: s.nextDelayedId(), vhost: '/', exchange, routingKey: 'k', properties: Buffer.alloc(2), body: Buffer.from('d'), dueAt };
    }

    test('loadDue and nextDue see the buffered batch without writing it; a put removed in its batch never reaches disk', async () => {
      const s = openStore();
      const onDisk = record(s, T + 5);
      s.putDelayed(onDisk);
      await s.flush();
      const commits = s.counters().commits;
      const calls = new Calls();
      const buffered = record(s, T + 1);
      s.putDelayed(buffered);
      s.afterCommit(calls, 1);
      expect(s.nextDue()).toBe(T + 1);
      expect(s.loadDue(T + 10, 10).map((r) => r.id)).toEqual([buffered.id, onDisk.id]);
      s.removeDelayed(buffered.id);
      s.removeDelayed(onDisk.id);
      expect(s.nextDue()).toBe(0);
      expect(s.loadDue(T + 10, 10)).toEqual([]);
      expect(s.counters().commits).toBe(commits); // no read wrote the batch
      expect(s.counters().delayedCancelled).toBe(1);
      await s.flush();
      expect(calls.tokens).toEqual([1]);
      expect(s.countRows('delayed_messages')).toBe(0);
    });

    test('a buffered deleteDelayed makes the reads write the batch first', () => {
      const s = openStore();
      s.putDelayed(record(s, T + 1, 'gone'));
      s.putDelayed(record(s, T + 2, 'kept'));
      const commits = s.counters().commits;
      s.deleteDelayed('/', 'gone');
      expect(s.nextDue()).toBe(T + 2);
      expect(s.counters().commits).toBe(commits + 1);
      expect(s.nextDue()).toBe(T + 2);
      expect(s.counters().commits).toBe(commits + 1);
    });

    test('while a failed batch waits for its retry, the reads still see its records', async () => {
      const clock = new HandClock();
      const s = openStore({ writerThread: 'never', clock });
      await s.flush();
      const commits = s.counters().commits;
      const db = (s as unknown as { db: Database.Database }).db;
      db.exec(`CREATE TRIGGER fail BEFORE INSERT ON delayed_messages BEGIN SELECT RAISE(ABORT, 'disk on fire'); END`);
      const a = record(s, T + 1);
      const b = record(s, T + 2);
      s.putDelayed(a);
      s.putDelayed(b);
      await new Promise<void>((resolve) => setImmediate(resolve));
      expect(s.loadDue(T + 10, 10).map((r) => r.id)).toEqual([a.id, b.id]);
      s.removeDelayed(a.id); // cancels a put that never reached disk
      expect(s.nextDue()).toBe(T + 2);
      db.exec('DROP TRIGGER fail');
      clock.advance(1000); // the retry
      expect(s.counters().commits).toBe(commits + 1);
      expect(s.countRows('delayed_messages')).toBe(1);
      expect(s.loadDue(T + 10, 10).map((r) => r.id)).toEqual([b.id]);
    });

    test('written delayed rows stay on disk only, and nextDue/loadDue stay cheap over 300,000 of them', async () => {
      const s = openStore({ durability: 'relaxed' });
      const body = Buffer.alloc(64, 1);
      const properties = Buffer.alloc(2);
      const n = 300_000;
      for (let i = 0; i < n; i++) {
        s.putDelayed({ id: s.nextDelayedId(), vhost: '/', exchange: 'dx', routingKey: 'k', properties, body, dueAt: T + ((i * 7919) % n) });
      }
      await s.flush();
      type Overlay = { puts: Map<number, unknown>; removed: Set<number> };
      const overlay = (s as unknown as { commit: { batch: { delayed: Overlay } } }).commit.batch.delayed;
      expect(overlay.puts.size + overlay.removed.size).toBe(0); // nothing of them is held in memory
      const started = process.hrtime.bigint();
      for (let i = 0; i < 100; i++) {
        expect(s.nextDue()).toBe(T);
        expect(s.loadDue(T + 5, 100).map((r) => r.dueAt)).toEqual([T, T + 1, T + 2, T + 3, T + 4, T + 5]);
      }
      expect(Number(process.hrtime.bigint() - started) / 1e6 / 100).toBeLessThan(5); // a scan would take tens of ms
      expect(s.delayedCount('/', 'dx')).toBe(n);
    }, 60_000);
  });

  describe('group commit', () => {
    test('the writes of one turn go out in one transaction, then its listeners run', async () => {
      const s = openStore();
      const q = s.putQueue({ vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: {} });
      await s.flush();
      const before = s.counters().commits;
      const calls = new Calls();
      for (let seq = 1; seq <= 2000; seq++) {
        s.enqueue(q, seq, msg(s, `m${seq}`));
        if (seq % 100 === 0) s.afterCommit(calls, seq);
      }
      expect(s.counters().commits).toBe(before);
      await new Promise<void>((resolve) => setImmediate(resolve));
      expect(s.counters().commits).toBe(before + 1);
      expect(calls.tokens).toEqual(Array.from({ length: 20 }, (_, i) => (i + 1) * 100));
      expect(s.queueStats(q).messages).toBe(2000);
    });

    test('batchLimit bounds a batch: a full buffer is written at once, listeners still run later', async () => {
      const s = openStore({ batchLimit: 100 });
      const q = s.putQueue({ vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: {} });
      await s.flush();
      const before = s.counters().commits;
      const calls = new Calls();
      for (let seq = 1; seq <= 1000; seq++) {
        s.enqueue(q, seq, msg(s, `m${seq}`));
        s.afterCommit(calls, seq);
      }
      expect(s.counters().commits).toBe(before + 10);
      expect(s.counters().largestBatch).toBeLessThanOrEqual(100);
      expect(calls.tokens).toEqual([]); // never called inside a store call
      await Promise.resolve();
      // the listener registered after the 10th full batch waits for the next one
      expect(calls.tokens).toEqual(Array.from({ length: 999 }, (_, i) => i + 1));
      await new Promise<void>((resolve) => setImmediate(resolve));
      expect(calls.tokens).toHaveLength(1000);
      expect(calls.tokens[999]).toBe(1000);
    });

    test('parameter writes share the batch of the turn with other writes, and wait for a failed batch', async () => {
      const clock = new HandClock();
      const s = openStore({ writerThread: 'never', clock });
      const q = s.putQueue({ vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: {} });
      await s.flush();
      const before = s.counters();
      const calls = new Calls();
      s.putParameter({ component: 'policy', vhost: '/', name: 'a', value: { priority: 1 } });
      s.enqueue(q, 1, msg(s, 'm'));
      s.putParameter({ component: 'global', vhost: '', name: 'cluster_name', value: 'x' });
      s.deleteParameter('policy', '/', 'missing');
      s.afterCommit(calls, 1);
      expect(s.countRows('parameters')).toBe(2); // a read flushes first
      expect(s.counters().commits).toBe(before.commits + 1);
      expect(s.counters().opsWritten).toBe(before.opsWritten + 4);
      await Promise.resolve();
      expect(calls.tokens).toEqual([1]);

      const db = (s as unknown as { db: Database.Database }).db;
      db.exec(`CREATE TRIGGER fail BEFORE INSERT ON parameters BEGIN SELECT RAISE(ABORT, 'disk on fire'); END`);
      s.putParameter({ component: 'policy', vhost: '/', name: 'b', value: [1, 2] });
      s.afterCommit(calls, 2);
      await new Promise<void>((resolve) => setImmediate(resolve));
      expect(calls.tokens).toEqual([1]);
      expect(storeError(() => s.loadParameters()).code).toBe('STORE_IO');
      db.exec('DROP TRIGGER fail');
      clock.advance(999);
      expect(calls.tokens).toEqual([1]);
      clock.advance(1); // the retry, one second after the failure; its listeners run in that turn
      expect(calls.tokens).toEqual([1, 2]);
      expect(s.loadParameters().map((p) => p.name).sort()).toEqual(['a', 'b', 'cluster_name']);
    });

    test('an enqueue removed in the same batch is counted as cancelled and writes nothing', async () => {
      const s = openStore();
      const q = s.putQueue({ vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: {} });
      await s.flush();
      const written = s.counters().opsWritten;
      for (let seq = 1; seq <= 100; seq++) {
        const m = msg(s, 'x');
        s.enqueue(q, seq, m);
        s.markDelivered(q, seq);
        s.remove(q, seq, m.id);
      }
      await s.flush();
      expect(s.counters().cancelled).toBe(100);
      expect(s.counters().opsWritten).toBe(written);
      expect(s.countRows('messages')).toBe(0);
      expect(s.countRows('queue_entries')).toBe(0);
    });

    test('a failed batch stays buffered, its listeners wait, reads report STORE_IO, and it is retried', async () => {
      const clock = new HandClock();
      const s = openStore({ writerThread: 'never', clock });
      const q = s.putQueue({ vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: {} });
      await s.flush();
      const db = (s as unknown as { db: Database.Database }).db;
      db.exec(`CREATE TRIGGER fail BEFORE INSERT ON queue_entries BEGIN SELECT RAISE(ABORT, 'disk on fire'); END`);
      const calls = new Calls();
      s.enqueue(q, 1, msg(s, 'precious'));
      s.afterCommit(calls, 1);
      await new Promise<void>((resolve) => setImmediate(resolve));
      expect(calls.tokens).toEqual([]);
      const err = storeError(() => s.queueStats(q));
      expect(err.code).toBe('STORE_IO');
      expect(err.message).toContain('disk on fire');
      db.exec('DROP TRIGGER fail');
      clock.advance(1000); // the retry
      expect(calls.tokens).toEqual([1]);
      expect(s.loadEntries(q, 0, 10).map((e) => e.message.body.toString())).toEqual(['precious']);
      expect(s.countRows('messages')).toBe(1);
    });

    test('using a closed store is an error', async () => {
      const s = openStore();
      await s.close();
      expect(storeError(() => s.putQueue({ vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: {} })).code).toBe(
        'STORE_CLOSED',
      );
      expect(storeError(() => s.putParameter({ component: 'global', vhost: '', name: 'n', value: 1 })).code).toBe('STORE_CLOSED');
      expect(storeError(() => s.deleteParameter('global', '', 'n')).code).toBe('STORE_CLOSED');
      expect(storeError(() => s.loadParameters()).code).toBe('STORE_CLOSED');
      await expect(s.close()).resolves.toBeUndefined();
    });
  });
});
