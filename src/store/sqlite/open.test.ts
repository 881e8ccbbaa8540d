/**
 * Opening a SqliteStore: the data directory, the database file and its schema (versions, migrations, corruption),
 * and the directory lock against a second broker, in this process or another, killed or not.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { encodeTable } from '../../protocol/field-table';
import { APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION } from './schema';
import { SqliteStore } from './store';
import type { MessageRecord, Store } from '../store';
import { storeError, tempDir } from './test-support/helpers';

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

function bodiesOf(entries: readonly { message: MessageRecord }[]): string[] {
  return entries.map((e) => e.message.body.toString());
}

function msg(store: Store, body: string): MessageRecord {
  return { id: store.nextMessageId(), exchange: '', routingKey: 'q', properties: Buffer.alloc(2), body: Buffer.from(body) };
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
      expect(SCHEMA_VERSION).toBe(6);
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

    test('a version-4 database is upgraded; entries of its priority queues get their level, capped at x-max-priority', () => {
      // What Leveret 4 left behind: a priority queue (x-max-priority 5) and a plain queue, with entries of several
      // message priorities. The priority property is bit 11 of the property flags.
      const file = path.join(dir, 'leveret.db');
      const v4 = new Database(file);
      v4.pragma('journal_mode = WAL');
      v4.transaction(() => {
        for (const step of MIGRATIONS.slice(0, 4)) step(v4);
        v4.pragma('user_version = 4');
        v4.pragma(`application_id = ${APPLICATION_ID}`);
      })();
      const insertQueue = v4.prepare(
        `INSERT INTO queues (id, vhost, name, durable, auto_delete, arguments, last_seq, entry_count, entry_bytes)
         VALUES (?, '/', ?, 1, 0, ?, 4, 4, 4)`,
      );
      insertQueue.run(1, 'pq', encodeTable({ 'x-max-priority': 5 }));
      insertQueue.run(2, 'plain', encodeTable({}));
      const priorities = [9, undefined, 3, 5];
      priorities.forEach((priority, i) => {
        const properties = priority === undefined ? Buffer.alloc(2) : Buffer.from([0x08, 0x00, priority]);
        for (const queueId of [1, 2]) {
          const id = queueId * 10 + i;
          v4.prepare(`INSERT INTO messages (id, exchange, routing_key, properties, body, refcount) VALUES (?, '', 'q', ?, ?, 1)`)
            .run(id, properties, Buffer.from(`m${i + 1}`));
          v4.prepare(`INSERT INTO queue_entries (queue_id, seq, message_id, size) VALUES (?, ?, ?, 2)`).run(queueId, i + 1, id);
        }
      });
      v4.close();

      const s = openStore();
      expect(s.pragma('user_version')).toBe(SCHEMA_VERSION);
      expect(bodiesOf(s.loadEntries(1, 0, 10, 5))).toEqual(['m1', 'm4']);
      expect(bodiesOf(s.loadEntries(1, 0, 10, 3))).toEqual(['m3']);
      expect(bodiesOf(s.loadEntries(1, 0, 10, 0))).toEqual(['m2']);
      expect(bodiesOf(s.loadEntries(1, 0, 10))).toEqual(['m1', 'm2', 'm3', 'm4']);
      // a plain queue's entries keep no level
      expect(s.loadEntries(2, 0, 10, 5)).toEqual([]);
      expect(s.loadEntries(2, 0, 10, 0)).toEqual([]);
      expect(bodiesOf(s.loadEntries(2, 0, 10))).toEqual(['m1', 'm2', 'm3', 'm4']);
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

    test('after a clean close, delivery marks come back as they were; after an unclean stop, every entry is redelivered', async () => {
      const fill = (s: SqliteStore): number => {
        const q = s.putQueue({ vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: {} });
        for (const seq of [1, 2, 3]) s.enqueue(q, seq, msg(s, `m${seq}`));
        s.markDelivered(q, 2);
        return q;
      };
      const first = openStore();
      const q = fill(first);
      await first.close();
      const second = openStore();
      expect(second.loadEntries(q, 0, 10).map((e) => e.redelivered)).toEqual([false, true, false]);
      expect(second.lastUncleanStopAt()).toBe(0);
      await second.close();
      // A pid file left behind, as by a broker killed before the 'running' row existed (an older data directory):
      // unclean too.
      fs.writeFileSync(path.join(dir, 'leveret.pid'), '999999\n');
      const before = Date.now();
      const third = openStore();
      expect(third.loadEntries(q, 0, 10).map((e) => e.redelivered)).toEqual([true, true, true]);
      // When, for the delayed messages that may have been routed before the stop.
      const stoppedAt = third.lastUncleanStopAt();
      expect(stoppedAt).toBeGreaterThanOrEqual(before);
      expect(stoppedAt).toBeLessThanOrEqual(Date.now());
      // A message that arrives redelivered (a delayed one routed again) is stored so.
      third.enqueue(q, 5, { ...msg(third, 'm5'), redelivered: true });
      // Entries enqueued after the recovery start undelivered.
      third.enqueue(q, 4, msg(third, 'm4'));
      await third.close();
      const fourth = openStore();
      expect(fourth.loadEntries(q, 0, 10).map((e) => e.redelivered)).toEqual([true, true, true, false, true]);
      // A clean stop keeps the time: it only concerns delayed messages due by then.
      expect(fourth.lastUncleanStopAt()).toBe(stoppedAt);
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
      // An unclean stop: any entry may have been delivered (its mark in a batch not yet written), so all come back
      // redelivered, as RabbitMQ does after a dirty recovery.
      expect(entries.every((e) => e.redelivered)).toBe(true);
      // What a second kill -9 now, during recovery, would leave: the marks are on disk and the store still says it
      // is running, so the next open would mark again.
      const peek = new Database(path.join(dir, 'leveret.db'), { readonly: true });
      try {
        expect(peek.prepare('SELECT COUNT(*) AS n FROM queue_entries WHERE redelivered = 0').get()).toEqual({ n: 0 });
        expect(peek.prepare("SELECT value FROM meta WHERE key = 'running'").get()).toEqual({ value: 1 });
      } finally {
        peek.close();
      }
      const stats = s.queueStats(1);
      expect(stats.messages).toBe(entries.length);
      expect(s.nextMessageId()).toBeGreaterThan(entries[entries.length - 1]!.message.id);
    }, 20_000);
  });
});
