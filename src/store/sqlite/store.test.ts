import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { encodeTable } from '../../protocol/field-table';
import { StoreError } from '../errors';
import { APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION } from './schema';
import { SqliteStore } from './store';
import { PAGE_SIZE } from './open';
import type { CommitListener, MessageRecord, Store } from '../store';
import { storeContract } from '../test-support/contract';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'leveret-store-'));
}

storeContract('SqliteStore', () => {
  const dataDir = tempDir();
  let current = SqliteStore.open({ dataDir });
  return {
    store: current,
    reopen: () => {
      void current.close();
      current = SqliteStore.open({ dataDir });
      return current;
    },
    cleanup: () => {
      void current.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
    bodies: () => current.countRows('messages'),
  };
});

// ---------------------------------------------------------------------------------------------------------------
// SQLite-specific behaviour
// ---------------------------------------------------------------------------------------------------------------

const REPO = path.resolve(__dirname, '../../..');

/**
 * A node -e prelude that can require our .ts sources (transpiled with swc, as jest does), and lets the store's
 * writer thread load them too.
 */
const TS_HOOK = `
const hook = ${JSON.stringify(path.join(__dirname, 'test-support', 'ts-hook.cjs'))};
require(hook);
require(${JSON.stringify(path.join(__dirname, 'thread-writer.ts'))}).setWriterTypeScriptHook(hook);
const { SqliteStore } = require(${JSON.stringify(path.join(__dirname, 'index.ts'))});
`;

function msg(store: Store, body: string): MessageRecord {
  return { id: store.nextMessageId(), exchange: '', routingKey: 'q', properties: Buffer.alloc(2), body: Buffer.from(body) };
}

function storeError(fn: () => unknown): StoreError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StoreError);
    return err as StoreError;
  }
  throw new Error('expected a StoreError');
}

class Calls implements CommitListener {
  readonly tokens: number[] = [];
  committed(token: number): void {
    this.tokens.push(token);
  }
}

describe('SqliteStore', () => {
  let dir: string;
  const open: SqliteStore[] = [];
  const children: ChildProcess[] = [];

  function openStore(options: Partial<Parameters<typeof SqliteStore.open>[0]> = {}): SqliteStore {
    const s = SqliteStore.open({ dataDir: dir, ...options });
    open.push(s);
    return s;
  }

  let root: string;
  beforeEach(() => {
    root = tempDir();
    dir = root;
  });
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const s of open.splice(0)) await s.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  describe('open', () => {
    test('creates the data directory and a WAL database with FULL sync by default', async () => {
      dir = path.join(dir, 'nested', 'data');
      const s = openStore();
      expect(fs.existsSync(path.join(dir, 'leveret.db'))).toBe(true);
      expect(s.pragma('journal_mode')).toBe('wal');
      expect(s.pragma('locking_mode')).toBe('normal'); // the lock is leveret.lock's, so a writer thread can share the file
      expect(fs.existsSync(path.join(dir, 'leveret.lock'))).toBe(true);
      expect(s.pragma('synchronous')).toBe(2); // FULL
      expect(SCHEMA_VERSION).toBe(4);
      expect(s.pragma('user_version')).toBe(SCHEMA_VERSION);
      expect(fs.readFileSync(path.join(dir, 'leveret.pid'), 'utf8').trim()).toBe(String(process.pid));
      await s.close();
      expect(fs.existsSync(path.join(dir, 'leveret.pid'))).toBe(false);
    });

    test("durability 'relaxed' sets synchronous=NORMAL", () => {
      expect(openStore({ durability: 'relaxed' }).pragma('synchronous')).toBe(1);
    });

    test('a schema newer than this code is refused with a clear message', async () => {
      await openStore().close();
      const db = new Database(path.join(dir, 'leveret.db'));
      db.pragma('user_version = 99');
      db.close();
      const err = storeError(() => openStore());
      expect(err.code).toBe('STORE_SCHEMA_TOO_NEW');
      expect(err.message).toContain(
        `database schema version 99 is newer than this Leveret understands (${SCHEMA_VERSION}); upgrade Leveret or use another data directory`,
      );
      // and the refusal left the directory usable by the right version
      expect(fs.existsSync(path.join(dir, 'leveret.pid'))).toBe(false);
    });

    test('a version-1 database (before runtime parameters) is upgraded in place at open, keeping its data', async () => {
      // What Leveret 1 left behind: migration 1 only, marked as migrate() marks it.
      const file = path.join(dir, 'leveret.db');
      const v1 = new Database(file);
      v1.pragma('journal_mode = WAL');
      v1.transaction(() => {
        MIGRATIONS[0]!(v1);
        v1.pragma('user_version = 1');
        v1.pragma(`application_id = ${APPLICATION_ID}`);
      })();
      v1.prepare(
        `INSERT INTO queues (id, vhost, name, durable, auto_delete, arguments, last_seq, entry_count, entry_bytes)
         VALUES (7, '/', 'old', 1, 0, ?, 3, 0, 0)`,
      ).run(encodeTable({ 'x-max-length': 5 }));
      v1.prepare(`INSERT INTO vhosts (name, description, tags, default_queue_type) VALUES ('/', 'default', '[]', NULL)`).run();
      v1.close();

      const s = openStore();
      expect(s.pragma('user_version')).toBe(SCHEMA_VERSION);
      expect(s.loadDefinitions().queues).toEqual([
        { id: 7, vhost: '/', name: 'old', durable: true, autoDelete: false, arguments: { 'x-max-length': 5 } },
      ]);
      expect(s.queueStats(7)).toEqual({ messages: 0, bytes: 0, lastSeq: 3 });
      expect(s.loadAccess().vhosts).toEqual([{ name: '/', description: 'default', tags: [] }]);
      expect(s.loadParameters()).toEqual([]);
      s.putParameter({ component: 'policy', vhost: '/', name: 'p', value: { pattern: '.*', definition: { 'max-length': 1 } } });
      expect(s.putQueue({ vhost: '/', name: 'new', durable: true, autoDelete: false, arguments: {} })).toBe(8);
      await s.close();
      open.splice(open.indexOf(s), 1);

      const again = openStore(); // an upgraded file opens as a current one
      expect(again.pragma('user_version')).toBe(SCHEMA_VERSION);
      expect(again.loadParameters()).toEqual([
        { component: 'policy', vhost: '/', name: 'p', value: { pattern: '.*', definition: { 'max-length': 1 } } },
      ]);
      expect(again.loadDefinitions().queues.map((q) => [q.id, q.name])).toEqual([[7, 'old'], [8, 'new']]);
    });

    test('a version-2 database (before expiry deadlines and delayed messages) is upgraded; its entries never expire', async () => {
      // What Leveret 2 left behind: migrations 1 and 2, with a queue holding two entries.
      const file = path.join(dir, 'leveret.db');
      const v2 = new Database(file);
      v2.pragma('journal_mode = WAL');
      v2.transaction(() => {
        MIGRATIONS[0]!(v2);
        MIGRATIONS[1]!(v2);
        v2.pragma('user_version = 2');
        v2.pragma(`application_id = ${APPLICATION_ID}`);
      })();
      v2.prepare(
        `INSERT INTO queues (id, vhost, name, durable, auto_delete, arguments, last_seq, entry_count, entry_bytes)
         VALUES (1, '/', 'old', 1, 0, ?, 2, 2, 6)`,
      ).run(encodeTable({}));
      for (const seq of [1, 2]) {
        v2.prepare(`INSERT INTO messages (id, exchange, routing_key, properties, body, refcount) VALUES (?, '', 'old', ?, ?, 1)`)
          .run(seq, Buffer.alloc(2), Buffer.from(`old ${seq}`));
        v2.prepare(`INSERT INTO queue_entries (queue_id, seq, message_id, size, redelivered) VALUES (1, ?, ?, 5, ?)`)
          .run(seq, seq, seq === 1 ? 1 : 0);
      }
      v2.prepare(`INSERT INTO meta (key, value) VALUES ('last_message_id', 2)`).run();
      v2.close();

      const s = openStore();
      expect(s.pragma('user_version')).toBe(SCHEMA_VERSION);
      expect(s.loadEntries(1, 0, 10).map((e) => [e.seq, e.redelivered, e.expiresAt, e.message.body.toString()])).toEqual([
        [1, true, 0, 'old 1'],
        [2, false, 0, 'old 2'],
      ]);
      expect(s.nextExpiry(1, 0)).toBe(0);
      expect(s.loadExpired(1, 0, Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
      expect(s.nextDue()).toBe(0);
      expect(s.nextDelayedId()).toBe(1);
      s.enqueue(1, 3, msg(s, 'new'), 1234);
      expect(s.nextExpiry(1, 0)).toBe(1234);
      expect(s.nextMessageId()).toBeGreaterThan(2);
    });

    test('a parameter value that is not JSON on disk is reported as corrupt, naming it', async () => {
      const s = openStore();
      s.putParameter({ component: 'policy', vhost: 'v', name: 'p', value: 1 });
      await s.flush();
      const db = (s as unknown as { db: Database.Database }).db;
      db.exec(`UPDATE parameters SET value = '{not json'`);
      const err = storeError(() => s.loadParameters());
      expect(err.code).toBe('STORE_CORRUPT');
      expect(err.message).toContain("policy 'p' in vhost 'v'");
    });

    test('a file of garbage is refused as corrupt, naming the file, and left untouched', () => {
      const file = path.join(dir, 'leveret.db');
      const garbage = Buffer.alloc(8192, 'not a database ');
      fs.writeFileSync(file, garbage);
      const err = storeError(() => openStore());
      expect(err.code).toBe('STORE_CORRUPT');
      expect(err.message).toContain(file);
      expect(err.message).toMatch(/not a database/);
      expect(fs.readFileSync(file).equals(garbage)).toBe(true);
    });

    test('an SQLite file that is not Leveret’s is refused', () => {
      const db = new Database(path.join(dir, 'leveret.db'));
      db.exec('CREATE TABLE mine (x)');
      db.close();
      const err = storeError(() => openStore());
      expect(err.code).toBe('STORE_CORRUPT');
      expect(err.message).toContain('not a Leveret one');
    });

    test('a directory where the database file should be is refused as unreadable', () => {
      fs.mkdirSync(path.join(dir, 'leveret.db'));
      const err = storeError(() => openStore());
      expect(err.code).toBe('STORE_UNREADABLE');
      expect(err.message).toContain(path.join(dir, 'leveret.db'));
    });

    test('a data directory that is a file is refused as unreadable', () => {
      const file = path.join(dir, 'file');
      fs.writeFileSync(file, 'x');
      const err = storeError(() => SqliteStore.open({ dataDir: file }));
      expect(err.code).toBe('STORE_UNREADABLE');
      expect(err.message).toContain(file);
    });
  });

  describe('data directory lock', () => {
    test('a second open in the same process is refused until the first closes', async () => {
      const first = openStore();
      const err = storeError(() => openStore());
      expect(err.code).toBe('STORE_LOCKED');
      expect(err.message).toBe(`data directory ${fs.realpathSync(dir)} is in use by another broker (pid ${process.pid})`);
      // even through another spelling of the path
      expect(storeError(() => SqliteStore.open({ dataDir: path.join(dir, '.', '') })).code).toBe('STORE_LOCKED');
      await first.close();
      expect(() => openStore()).not.toThrow();
    });

    test('another process cannot open a directory this one holds', () => {
      openStore();
      const out = execFileSync(
        process.execPath,
        ['-e', `${TS_HOOK}
          try { SqliteStore.open({ dataDir: ${JSON.stringify(dir)} }); console.log('opened'); }
          catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`],
        { cwd: REPO, encoding: 'utf8' },
      );
      const result = JSON.parse(out.trim()) as { code: string; message: string };
      expect(result.code).toBe('STORE_LOCKED');
      expect(result.message).toContain(`(pid ${process.pid})`);
    });

    test.each(['never', 'auto', 'always'])('a broker killed with -9 keeps what it confirmed and releases the lock (writer thread: %s)', async (writerThread) => {
      const child = spawn(
        process.execPath,
        ['-e', `${TS_HOOK}
          const store = SqliteStore.open({ dataDir: ${JSON.stringify(dir)}, writerThread: ${JSON.stringify(writerThread)} });
          const q = store.putQueue({ vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: { 'x-max-length': 5000 } });
          for (let seq = 1; seq <= 1000; seq++) {
            store.enqueue(q, seq, { id: store.nextMessageId(), exchange: '', routingKey: 'q', properties: Buffer.alloc(2), body: Buffer.from('m' + seq) });
          }
          store.markDelivered(q, 1);
          store.remove(q, 2, 0);
          store.afterCommit({ committed() {
            console.log('confirmed');
            // written but never confirmed: may or may not survive, must not corrupt anything
            for (let seq = 1001; seq <= 1100; seq++) {
              store.enqueue(q, seq, { id: store.nextMessageId(), exchange: '', routingKey: 'q', properties: Buffer.alloc(2), body: Buffer.from('m' + seq) });
            }
            setInterval(() => {}, 1000);
          } }, 1);`],
        { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] },
      );
      children.push(child);
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('confirmed')) resolve();
        });
        child.on('exit', (code) => reject(new Error(`child exited early (${code})`)));
      });

      const err = storeError(() => openStore());
      expect(err.code).toBe('STORE_LOCKED');
      expect(err.message).toContain(`(pid ${child.pid})`);

      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;

      const s = openStore();
      const defs = s.loadDefinitions();
      expect(defs.queues).toEqual([
        { id: 1, vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: { 'x-max-length': 5000 } },
      ]);
      const entries = s.loadEntries(1, 0, 2000);
      expect(entries.length).toBeGreaterThanOrEqual(999);
      expect(entries.slice(0, 999).map((e) => e.message.body.toString())).toEqual(
        Array.from({ length: 1000 }, (_, i) => `m${i + 1}`).filter((b) => b !== 'm2'),
      );
      expect(entries[0]!.redelivered).toBe(true);
      expect(entries[1]!.redelivered).toBe(false);
      const stats = s.queueStats(1);
      expect(stats.messages).toBe(entries.length);
      expect(s.nextMessageId()).toBeGreaterThan(entries[entries.length - 1]!.message.id);
    }, 20_000);
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
      const s = openStore();
      await s.flush();
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
      await new Promise<void>((resolve) => setTimeout(resolve, 1300));
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
      const s = openStore();
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
      await new Promise<void>((resolve) => setTimeout(resolve, 1300));
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
      const s = openStore();
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
      await new Promise<void>((resolve) => setTimeout(resolve, 1300));
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
