/**
 * The SqliteStore's writer thread: the whole store contract with every batch written by the thread, and what is
 * particular to it (when it starts, listeners waiting for its commits, reads waiting for its batches, failure and
 * retry, the synchronous calls).
 */
import fs from 'node:fs';
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { eventually, nextTurn } from '../../test-support/eventually';
import type { StoreError } from '../errors';
import { SqliteStore } from './store';
import type { MessageRecord, Store } from '../store';
import { storeContract } from '../test-support/contract';
import { Calls, contractFixture, storeError, tempDir } from './test-support/helpers';

storeContract('SqliteStore with its writer thread', () => contractFixture('leveret-writer-', { writerThread: 'always' }));

function msg(store: Store, body: string): MessageRecord {
  return { id: store.nextMessageId(), exchange: 'ex', routingKey: 'rk', properties: Buffer.from([0x80, 0x00, 1, 0x61]), body: Buffer.from(body) };
}

/** A logger that keeps the messages of the store's error logs (the writer's failure reports). */
function errorLog(): { logger: Logger; errors: string[] } {
  const errors: string[] = [];
  const ignore = (): void => undefined;
  const logger = { error: (_obj: object, msg: string) => errors.push(msg), warn: ignore, info: ignore, fatal: ignore };
  return { logger: logger as unknown as Logger, errors };
}

describe('SqliteStore writer thread', () => {
  let dir: string;
  const stores: SqliteStore[] = [];

  function openStore(writerThread: 'auto' | 'always' | 'never' = 'always', logger?: Logger): SqliteStore {
    const s = SqliteStore.open({ dataDir: dir, writerThread, ...(logger === undefined ? {} : { logger }) });
    stores.push(s);
    return s;
  }

  beforeEach(() => {
    dir = tempDir('leveret-writer-');
  });
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("'auto' starts the thread with the first persistent message, not for definitions; later batches go through it", async () => {
    const s = openStore('auto');
    const q = s.putQueue({ vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: {} });
    s.putExchange({ vhost: '/', name: 'x', type: 'direct', durable: true, autoDelete: false, internal: false, arguments: {} });
    await s.flush();
    expect(s.writerThreadState()).toBe('none');
    s.enqueue(q, 1, msg(s, 'first'));
    expect(s.writerThreadState()).toBe('starting');
    await eventually(() => s.writerThreadState() === 'running');
    const commits = s.counters().commits;
    const calls = new Calls();
    s.enqueue(q, 2, msg(s, 'second'));
    s.afterCommit(calls, 2);
    await eventually(() => calls.tokens.length === 1);
    expect(s.counters().commits).toBeGreaterThan(commits);
    expect(s.loadEntries(q, 0, 10).map((e) => e.message.body.toString())).toEqual(['first', 'second']);
  });

  test("'never' keeps every write on the caller's thread", async () => {
    const s = openStore('never');
    const q = s.putQueue({ vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: {} });
    s.enqueue(q, 1, msg(s, 'm'));
    expect(s.writerThreadState()).toBe('none'); // 'auto' would be starting by now
    await nextTurn(); // the batch was written
    expect(s.counters().commits).toBeGreaterThan(0);
    expect(s.writerThreadState()).toBe('none');
    expect(s.loadEntries(q, 0, 10)).toHaveLength(1);
  });

  test('listeners run only after the thread reports the commit of their batch, in registration order', async () => {
    const s = openStore();
    const q = s.putQueue({ vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: {} });
    const calls = new Calls();
    for (let seq = 1; seq <= 300; seq++) {
      s.enqueue(q, seq, msg(s, `m${seq}`));
      s.afterCommit(calls, seq);
      if (seq % 100 === 0) await nextTurn(); // three turns: the later batches gather while the first commits
    }
    expect(calls.tokens.length).toBeLessThan(300);
    await eventually(() => calls.tokens.length === 300);
    expect(calls.tokens).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(s.queueStats(q)).toEqual({ messages: 300, bytes: expect.any(Number), lastSeq: 300 });
  });

  test('a read waits for every batch sent, and sees them; its listeners are called on a microtask', async () => {
    const s = openStore();
    const q = s.putQueue({ vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: {} });
    const calls = new Calls();
    for (let seq = 1; seq <= 50; seq++) s.enqueue(q, seq, msg(s, `m${seq}`));
    s.afterCommit(calls, 1);
    const entries = s.loadEntries(q, 0, 100);
    expect(entries.map((e) => e.message.body.toString())).toEqual(Array.from({ length: 50 }, (_, i) => `m${i + 1}`));
    expect(entries[0]!.message).toEqual({ ...msg(s, 'm1'), id: entries[0]!.message.id });
    expect(calls.tokens).toEqual([]);
    await Promise.resolve();
    expect(calls.tokens).toEqual([1]);
  });

  test('an enqueue removed before its batch is sent never reaches the disk, even while another batch is in flight', async () => {
    const s = openStore();
    const q = s.putQueue({ vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: {} });
    await s.flush();
    const cancelled = s.counters().cancelled;
    const m1 = msg(s, 'kept');
    s.enqueue(q, 1, m1);
    await nextTurn(); // sent
    const m2 = msg(s, 'gone');
    s.enqueue(q, 2, m2);
    s.markDelivered(q, 2);
    s.remove(q, 2, m2.id);
    await s.flush();
    expect(s.counters().cancelled).toBe(cancelled + 1);
    expect(s.countRows('messages')).toBe(1);
    expect(s.queueStats(q)).toEqual({ messages: 1, bytes: 4, lastSeq: 2 });
  });

  test('back-pressure: a batch that fills up while another is in flight waits for it, so the loop stops reading ahead', async () => {
    const s = openStore();
    const q = s.putQueue({ vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: {} });
    await s.flush();
    const before = s.counters().commits;
    // One turn: at 2,000 ops a batch goes to the thread; at 4,000 the next must first wait for that one's commit,
    // whose report is taken during the wait, inside this loop.
    for (let seq = 1; seq <= 4500; seq++) s.enqueue(q, seq, msg(s, 'x'));
    expect(s.counters().commits).toBeGreaterThan(before);
    await s.flush();
    expect(s.queueStats(q).messages).toBe(4500);
  });

  test('a failed batch waits with everything after it; reads report STORE_IO; it is retried and its listeners run', async () => {
    const log = errorLog();
    const s = openStore('always', log.logger);
    const q = s.putQueue({ vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: {} });
    await s.flush();
    // The trigger is made on the broker's connection; the schema is the file's, so the thread's writes hit it too.
    const db = (s as unknown as { db: Database.Database }).db;
    db.exec(`CREATE TRIGGER fail BEFORE INSERT ON queue_entries BEGIN SELECT RAISE(ABORT, 'disk on fire'); END`);
    const calls = new Calls();
    s.enqueue(q, 1, msg(s, 'precious'));
    s.afterCommit(calls, 1);
    await eventually(() => log.errors.length > 0, 5000, 'the failure report');
    expect(log.errors[0]).toBe('store batch failed; it will be retried');
    s.enqueue(q, 2, msg(s, 'after'));
    s.afterCommit(calls, 2);
    await nextTurn();
    expect(calls.tokens).toEqual([]);
    const err = storeError(() => s.queueStats(q));
    expect(err.code).toBe('STORE_IO');
    expect(err.message).toContain('disk on fire');
    db.exec('DROP TRIGGER fail');
    await eventually(() => calls.tokens.length === 2, 10_000, 'the retry');
    expect(calls.tokens).toEqual([1, 2]);
    expect(s.loadEntries(q, 0, 10).map((e) => e.message.body.toString())).toEqual(['precious', 'after']);
    expect(s.countRows('messages')).toBe(2);
  });

  test('a thread that fails outside SQLite is reported at once: reads say STORE_IO, nothing more is confirmed', async () => {
    const s = openStore();
    const q = s.putQueue({ vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: {} });
    await s.flush();
    // A batch the thread cannot decode (a bug's stand-in), sent the way SqliteStore sends batches.
    const thread = (s as unknown as { commit: { writer: { port: { postMessage(m: object): void } } } }).commit.writer;
    thread.port.postMessage({ type: 'batch', seq: 99, bytes: new Uint8Array([99]).buffer, length: 1, others: [], lastMessageId: 0, lastDelayedId: 0 });
    const calls = new Calls();
    s.enqueue(q, 1, msg(s, 'm'));
    s.afterCommit(calls, 1);
    const started = Date.now();
    await eventually(() => {
      try {
        s.queueStats(q);
        return false;
      } catch (err) {
        expect((err as StoreError).code).toBe('STORE_IO');
        expect((err as StoreError).message).toContain('unknown record 99');
        return true;
      }
    });
    expect(Date.now() - started).toBeLessThan(2000); // not after the minute a stuck thread is given
    await nextTurn();
    expect(calls.tokens).toEqual([]);
    // close cannot write what was buffered, says so, and still lets go of the directory
    await expect(s.close()).rejects.toMatchObject({ code: 'STORE_IO' });
    const again = openStore('never');
    expect(again.queueStats(q).messages).toBe(0);
  });

  test('purge runs on the thread after the batches before it, and returns the count', async () => {
    const s = openStore();
    const q = s.putQueue({ vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: {} });
    for (let seq = 1; seq <= 20; seq++) s.enqueue(q, seq, msg(s, 'x'));
    expect(s.purge(q)).toBe(20);
    expect(s.countRows('messages')).toBe(0);
    expect(s.queueStats(q).messages).toBe(0);
  });

  test('space reclamation runs on the thread', async () => {
    const s = openStore();
    const q = s.putQueue({ vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: {} });
    const body = Buffer.alloc(4096, 1);
    for (let seq = 1; seq <= 2000; seq++) s.enqueue(q, seq, { ...msg(s, ''), body });
    await s.flush();
    s.purge(q);
    expect(s.reclaimSpace(0)).toBeGreaterThan(100);
    s.reclaimSpace(1_000_000);
    expect(s.reclaimSpace(0)).toBe(0);
  });

  test('close commits what is buffered and ends the thread; the directory opens again at once', async () => {
    const s = openStore();
    const q = s.putQueue({ vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: {} });
    for (let seq = 1; seq <= 10; seq++) s.enqueue(q, seq, msg(s, `m${seq}`));
    await s.close();
    const again = openStore('never');
    expect(again.loadEntries(q, 0, 100)).toHaveLength(10);
  });
});
