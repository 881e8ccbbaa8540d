/**
 * The PostgresStore's behaviour as an active/standby store: fencing by the leader epoch (a write transaction of an
 * old leader never commits after a takeover, even one paused just before COMMIT), batches retried across a server
 * restart and never committed twice (a COMMIT whose reply was lost is looked up, not re-applied), redelivery after
 * an unclean stop or a takeover, concurrent schema creation, and a close that returns while the database is down.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { eventually, nextTurn } from '../../test-support/eventually';
import { StoreError } from '../errors';
import type { CommitListener, MessageRecord, Store, StoreHealthListener } from '../store';
import { readAccess } from './index';
import { ensureSchema, SCHEMA_VERSION } from './schema';
import { PostgresStore, type PostgresStoreOptions } from './store';
import { startSchemaCluster, type SchemaCluster } from './test-support/cluster';

let pg: SchemaCluster;
const open: PostgresStore[] = [];

beforeAll(async () => {
  pg = await startSchemaCluster();
}, 60_000);

afterAll(async () => {
  await pg.destroy();
});

beforeEach(async () => {
  await pg.reset();
});

afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

async function openStore(options: Partial<PostgresStoreOptions> = {}): Promise<PostgresStore> {
  const store = await PostgresStore.open({ url: pg.cluster.url, ...options });
  open.push(store);
  return store;
}

async function setEpoch(epoch: number): Promise<void> {
  await pg.admin.query('UPDATE leveret_leader SET epoch = $1, since = now() WHERE id = 1', [epoch]);
}

async function scalar(sql: string): Promise<number> {
  const res = await pg.admin.query(sql);
  return Number(Object.values(res.rows[0] as object)[0] ?? 0);
}

function msg(store: Store, body: string): MessageRecord {
  return { id: store.nextMessageId(), exchange: 'x', routingKey: 'rk', properties: Buffer.from([0, 0]), body: Buffer.from(body) };
}

class Health implements StoreHealthListener {
  readonly events: string[] = [];
  writeFailed(error: string): void {
    this.events.push(`failed: ${error}`);
  }
  writeRecovered(): void {
    this.events.push('recovered');
  }
  writerDead(error: string): void {
    this.events.push(`dead: ${error}`);
  }
}

class Tokens implements CommitListener {
  readonly seen: number[] = [];
  committed(token: number): void {
    this.seen.push(token);
  }
}

describe('fencing', () => {
  test('a write batch after the epoch moved on is rolled back and the store is dead for good', async () => {
    await setEpoch(1);
    const store = await openStore({ fence: { epoch: 1 } });
    const health = new Health();
    store.onWriteHealth(health);
    const q = store.putQueue({ vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: {} });
    store.enqueue(q, 1, msg(store, 'before'));
    await store.flush();
    expect(await scalar('SELECT count(*) FROM leveret_queue_entries')).toBe(1);

    await setEpoch(2); // another node took over
    const tokens = new Tokens();
    store.enqueue(q, 2, msg(store, 'after'));
    store.afterCommit(tokens, 7);
    await expect(store.flush()).rejects.toThrow(/fenced/);
    expect(health.events).toEqual([expect.stringMatching(/^dead: fenced: the leader epoch is 2/)]);
    expect(store.writeFailing).toBe(true);
    expect(await scalar('SELECT count(*) FROM leveret_queue_entries')).toBe(1);
    expect(await scalar('SELECT count(*) FROM leveret_messages')).toBe(1);
    // Nothing is written or confirmed again.
    store.enqueue(q, 3, msg(store, 'later'));
    await expect(store.flush()).rejects.toThrow(StoreError);
    expect(() => store.loadEntries(q, 0, 10)).toThrow(/fenced/);
    await nextTurn();
    expect(tokens.seen).toEqual([]);
    expect(await scalar('SELECT count(*) FROM leveret_queue_entries')).toBe(1);
  });

  test('a transaction paused just before COMMIT fails once a takeover terminates its backend and bumps the epoch', async () => {
    await setEpoch(1);
    const store = await openStore({ fence: { epoch: 1 } });
    const health = new Health();
    store.onWriteHealth(health);
    const q = store.putQueue({ vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: {} });
    await store.flush();

    store.holdBeforeCommit(true);
    const held = store.whenHeldBeforeCommit();
    const tokens = new Tokens();
    store.enqueue(q, 1, msg(store, 'paused'));
    store.afterCommit(tokens, 1);
    await held; // the transaction has passed its fence check and written everything; only COMMIT is left

    // The takeover, as the new leader does it: end the old leader's store sessions, then move the epoch on.
    const killed = await scalar(
      `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name LIKE 'leveret-store%'`,
    );
    expect(killed).toBeGreaterThanOrEqual(1);
    await setEpoch(2);
    store.holdBeforeCommit(false); // the old leader wakes up and sends COMMIT

    await eventually(() => health.events.some((e) => e.startsWith('dead: fenced')), 10_000, 'the store fenced');
    expect(tokens.seen).toEqual([]);
    expect(await scalar('SELECT count(*) FROM leveret_queue_entries')).toBe(0);
    expect(await scalar('SELECT count(*) FROM leveret_messages')).toBe(0);
    await expect(store.flush()).rejects.toThrow(/fenced/);
  });

  test('without a takeover the epoch update waits for the transaction, which commits first', async () => {
    await setEpoch(1);
    const store = await openStore({ fence: { epoch: 1 } });
    const q = store.putQueue({ vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: {} });
    await store.flush();
    store.holdBeforeCommit(true);
    const held = store.whenHeldBeforeCommit();
    store.enqueue(q, 1, msg(store, 'x'));
    const flushed = store.flush();
    await held;
    const bump = setEpoch(2); // blocks on the transaction's FOR SHARE lock of the leader row
    store.holdBeforeCommit(false);
    await flushed;
    await bump;
    expect(await scalar('SELECT count(*) FROM leveret_queue_entries')).toBe(1);
  });
});

describe('retries', () => {
  test('a COMMIT whose reply was lost is looked up on the next connection, not applied twice', async () => {
    const store = await openStore();
    const health = new Health();
    store.onWriteHealth(health);
    const q = store.putQueue({ vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: {} });
    const q2 = store.putQueue({ vhost: '/', name: 'q2', durable: true, autoDelete: false, arguments: {} });
    await store.flush();
    store.loseNextCommitReply();
    const tokens = new Tokens();
    for (let i = 1; i <= 50; i++) {
      const m = msg(store, `m${i}`);
      store.enqueue(q, i, m);
      store.enqueue(q2, i, m);
    }
    store.afterCommit(tokens, 1);
    await eventually(() => tokens.seen.length > 0, 10_000, 'the commit reported');
    expect(health.events).toEqual([expect.stringMatching(/^failed: the COMMIT reply was lost/), 'recovered']);
    expect(tokens.seen).toEqual([1]);
    expect(await scalar('SELECT count(*) FROM leveret_queue_entries')).toBe(100);
    expect(await scalar('SELECT sum(refcount) FROM leveret_messages')).toBe(100);
    expect(store.queueStats(q)).toEqual({ messages: 50, bytes: expect.any(Number), lastSeq: 50 });
  });

  test('a server restart mid-stream: batches are retried, nothing is committed twice, each listener is called once', async () => {
    const store = await openStore();
    const health = new Health();
    store.onWriteHealth(health);
    const q = store.putQueue({ vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: {} });
    await store.flush();
    const tokens = new Tokens();
    let seq = 0;
    const publish = (n: number): void => {
      for (let i = 0; i < n; i++) {
        store.enqueue(q, ++seq, msg(store, `m${seq}`));
        store.afterCommit(tokens, seq);
      }
    };
    for (let turn = 0; turn < 20; turn++) {
      publish(50);
      await nextTurn();
    }
    pg.cluster.restart('fast'); // blocks this thread while the server stops and starts; the worker sees it fail
    await pg.reconnectAdmin(); // the restart ended the admin connection too
    for (let turn = 0; turn < 20; turn++) {
      publish(50);
      await nextTurn();
    }
    await eventually(() => tokens.seen.length === seq, 20_000, 'every listener');
    expect(tokens.seen).toEqual(Array.from({ length: seq }, (_, i) => i + 1));
    await store.flush();
    expect(await scalar('SELECT count(*) FROM leveret_queue_entries')).toBe(seq);
    expect(await scalar('SELECT sum(refcount) FROM leveret_messages')).toBe(seq);
    expect(store.queueStats(q).messages).toBe(seq);
    expect(health.events[0]).toMatch(/^failed: /); // the restart was seen...
    expect(health.events[health.events.length - 1]).toBe('recovered'); // ...and got over
  }, 30_000);

  test('close() returns within a couple of seconds while the database is down, and the next open redelivers', async () => {
    const store = await PostgresStore.open({ url: pg.cluster.url, readTimeoutMs: 1000 });
    const q = store.putQueue({ vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: {} });
    store.enqueue(q, 1, msg(store, 'kept'));
    await store.flush();
    pg.cluster.stop('fast');
    try {
      store.enqueue(q, 2, msg(store, 'lost'));
      expect(() => store.loadEntries(q, 0, 10)).toThrow(StoreError);
      const started = Date.now();
      await store.close();
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      pg.cluster.start();
      await pg.reconnectAdmin();
    }
    const again = await openStore();
    expect(again.lastUncleanStopAt()).toBeGreaterThan(0);
    const entries = again.loadEntries(q, 0, 10);
    expect(entries.map((e) => [e.message.body.toString(), e.redelivered])).toEqual([['kept', true]]);
  }, 30_000);
});

describe('unclean stops and takeovers', () => {
  test('a clean close leaves entries as they were; a takeover marks every entry redelivered', async () => {
    const first = await PostgresStore.open({ url: pg.cluster.url });
    const q = first.putQueue({ vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: {} });
    first.enqueue(q, 1, msg(first, 'a'));
    first.enqueue(q, 2, msg(first, 'b'));
    await first.close();
    const second = await PostgresStore.open({ url: pg.cluster.url, fence: { epoch: 0 } });
    expect(second.lastUncleanStopAt()).toBe(0);
    expect(second.loadEntries(q, 0, 10).map((e) => e.redelivered)).toEqual([false, false]);
    const lastId = second.nextMessageId();

    // second never closes: a node taking over finds it 'running'.
    await setEpoch(1);
    const third = await openStore({ fence: { epoch: 1 } });
    expect(third.lastUncleanStopAt()).toBeGreaterThan(0);
    expect(third.loadEntries(q, 0, 10).map((e) => [e.message.body.toString(), e.redelivered])).toEqual([
      ['a', true],
      ['b', true],
    ]);
    expect(third.nextMessageId()).toBeGreaterThanOrEqual(lastId); // ids go on from what was committed
    expect(third.putQueue({ vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: {} })).toBe(q);
    // The old one is fenced: its close cannot mark the stop clean.
    await second.close();
    expect(await scalar(`SELECT value FROM leveret_meta WHERE key = 'running'`)).toBe(1);
  });
});

describe('without a store', () => {
  test('readAccess reads vhosts, users and permissions as the store wrote them', async () => {
    const store = await openStore();
    store.putVhost({ name: '/', description: 'default', tags: ['a'] });
    store.putUser({ name: 'guest', passwordHash: 'h', hashingAlgorithm: 'rabbit_password_hashing_sha256', tags: ['administrator'] });
    store.putPermission({ user: 'guest', vhost: '/', configure: '.*', write: '.*', read: '.*' });
    await store.flush();
    expect(await readAccess(pg.cluster.url)).toEqual(store.loadAccess());
    expect((await readAccess(pg.cluster.url)).users.map((u) => u.name)).toEqual(['guest']);
  });

  test('the store connects under its application name (what a takeover terminates)', async () => {
    await openStore({ applicationName: 'leveret-store-node-a' });
    const rows = await pg.admin.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'leveret-store-node-a'`,
    );
    expect(rows.rows[0]).toEqual({ n: 1 }); // the worker's connection (open's own is closed)
  });
});

describe('schema', () => {
  test('two nodes creating the schema at once: both succeed, one leader row, the version recorded', async () => {
    const url = pg.cluster.database(`fresh_${Date.now()}`);
    const versions = await Promise.all([ensureSchema(url), ensureSchema(url), ensureSchema(url)]);
    expect(versions).toEqual([SCHEMA_VERSION, SCHEMA_VERSION, SCHEMA_VERSION]);
    expect(await ensureSchema(url)).toBe(SCHEMA_VERSION);
    const db = url.slice(url.lastIndexOf('/') + 1);
    expect(pg.cluster.psql('SELECT count(*), min(epoch) FROM leveret_leader', db).trim()).toBe('1|0');
    expect(pg.cluster.psql('SELECT version FROM leveret_schema', db).trim()).toBe(String(SCHEMA_VERSION));
  });
});

describe('deliveries held while commits stall', () => {
  test('a batch unanswered for 250 ms holds deliveries; its commit releases them and says so once', async () => {
    const store = await openStore();
    const q = store.putQueue({ vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: {} });
    await store.flush();
    let resumed = 0;
    store.onDeliveriesResumed(() => resumed++);
    expect(store.deliveriesHeld).toBe(false);

    store.holdBeforeCommit(true); // the database stops answering (a partition)
    const held = store.whenHeldBeforeCommit();
    store.enqueue(q, 1, msg(store, 'x'));
    const flushed = store.flush();
    await held;
    const stalledAt = Date.now();
    await eventually(() => store.deliveriesHeld, 2000, 'deliveriesHeld');
    expect(Date.now() - stalledAt).toBeLessThan(1000);
    expect(resumed).toBe(0);

    store.holdBeforeCommit(false);
    await flushed;
    await eventually(() => !store.deliveriesHeld, 2000, 'deliveriesHeld false again');
    expect(resumed).toBe(1);
  });

  test('commits that take their usual time never hold deliveries', async () => {
    const store = await openStore();
    const q = store.putQueue({ vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: {} });
    let seen = false;
    for (let i = 1; i <= 200; i++) {
      store.enqueue(q, i, msg(store, `m${i}`));
      if (i % 20 === 0) await store.flush();
      seen ||= store.deliveriesHeld;
    }
    await store.flush();
    expect(seen).toBe(false);
  });
});
