import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Client } from 'pg';
import pino from 'pino';
import { ensureSchema } from '../store/postgres';
import { startPostgres, type PostgresCluster } from '../test-support/postgres';
import { sleep } from '../test-support/eventually';
import { HaNode } from './node';

/*
 * The node loop against a real PostgreSQL: who leads, how a lead is lost (a dead session, a database the leader
 * cannot reach within its lease), and what a takeover does to the old leader's open transactions. The broker a node
 * starts is replaced by a record of when it was started and stopped: what is under test is when the loop does that.
 */

interface Record {
  node: string;
  epoch: number;
  closed: boolean;
}

let pg: PostgresCluster;
let db = 0;
const nodes: HaNode[] = [];

beforeAll(async () => {
  pg = await startPostgres({ fast: true });
}, 30_000);
afterAll(() => pg.destroy());
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});

async function freshDatabase(): Promise<string> {
  const url = pg.database(`ha${++db}`);
  await ensureSchema(url);
  return url;
}

function node(url: string, name: string, starts: Record[], leaseMs = 1500): HaNode {
  const n = new HaNode({
    url,
    node: name,
    leaseMs,
    amqp: `${name}:5672`,
    http: `${name}:15672`,
    logger: pino({ level: 'silent' }),
    ensureSchema: () => ensureSchema(url),
    becomeActive: async (epoch) => {
      const record: Record = { node: name, epoch, closed: false };
      starts.push(record);
      return {
        close: async () => {
          record.closed = true;
        },
      };
    },
    startStandbyHttp: async () => undefined,
    exit: (code) => {
      throw new Error(`exit ${code}`);
    },
  });
  nodes.push(n);
  n.start();
  return n;
}

/** Retries an assertion until it passes; fails with its last error after `ms`. */
async function until(check: () => void, ms = 5000): Promise<void> {
  const limit = Date.now() + ms;
  for (;;) {
    try {
      check();
      return;
    } catch (err) {
      if (Date.now() > limit) throw err;
      await sleep(10);
    }
  }
}

function terminateLockSession(name: string): void {
  pg.psql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'leveret-lock:${name}'`, 'postgres');
}

describe('active/standby on one PostgreSQL database', () => {
  it('one node leads with epoch 1; the other waits and knows who leads', async () => {
    const url = await freshDatabase();
    const starts: Record[] = [];
    const n1 = node(url, 'n1', starts);
    await until(() => expect(n1.status().role).toBe('active'));
    const n2 = node(url, 'n2', starts);
    await until(() => expect(n2.status().leader?.node).toBe('n1'));
    expect(n2.status().role).toBe('standby');
    expect(starts).toEqual([{ node: 'n1', epoch: 1, closed: false }]);
    await until(() => expect(n1.status().nodes.map((n) => `${n.name}:${n.role}`).sort()).toEqual(['n1:active', 'n2:standby']));
  });

  it('when the leader\'s session dies, the standby takes over with the next epoch and the old leader steps down', async () => {
    const url = await freshDatabase();
    const starts: Record[] = [];
    const n1 = node(url, 'n1', starts);
    await until(() => expect(n1.status().role).toBe('active'));
    const n2 = node(url, 'n2', starts);
    await until(() => expect(n2.status().leader?.node).toBe('n1'));
    const killedAt = Date.now();
    terminateLockSession('n1');
    await until(() => expect(n2.status().role).toBe('active'));
    expect(Date.now() - killedAt).toBeLessThan(1500);
    expect(n2.status().epoch).toBe(2);
    await until(() => expect(starts[0]?.closed).toBe(true));
    expect(starts.map((s) => [s.node, s.epoch])).toEqual([['n1', 1], ['n2', 2]]);
    // n1 is a standby now and does not take the lead back from a live leader.
    await until(() => expect(n1.status()).toMatchObject({ role: 'standby', leader: { node: 'n2' } }));
    await sleep(1000);
    expect(starts).toHaveLength(2);
  });

  it('a leader that cannot reach the database within its lease stops serving before a standby can take over', async () => {
    const url = await freshDatabase();
    const starts: Record[] = [];
    const n1 = node(url, 'n1', starts, 1500);
    await until(() => expect(n1.status().role).toBe('active'));
    // Every heartbeat (an upsert of leveret_nodes) now waits behind this lock: the database is out of reach.
    const blocker = new Client({ connectionString: url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE leveret_nodes IN ACCESS EXCLUSIVE MODE');
    const blockedAt = Date.now();
    await until(() => expect(starts[0]?.closed).toBe(true), 5000);
    const stoodDownAfter = Date.now() - blockedAt;
    await blocker.query('ROLLBACK');
    await blocker.end();
    expect(stoodDownAfter).toBeLessThanOrEqual(1500);
    expect(n1.status().role).not.toBe('active');
    expect(n1.serving()).toBe(false);
  });

  it('a takeover ends the old leader\'s open store transaction, so it cannot commit after the epoch moved on', async () => {
    const url = await freshDatabase();
    const starts: Record[] = [];
    const n1 = node(url, 'n1', starts);
    await until(() => expect(n1.status().role).toBe('active'));
    // The old leader's store, paused between its epoch check and its COMMIT.
    const store = new Client({ connectionString: url, application_name: 'leveret-store:n1' });
    store.on('error', () => undefined);
    await store.connect();
    await store.query('BEGIN');
    const { rows } = await store.query<{ epoch: string }>('SELECT epoch FROM leveret_leader WHERE id = 1 FOR SHARE');
    expect(Number(rows[0]?.epoch)).toBe(1);
    await store.query('CREATE TEMP TABLE written (x int)');
    await store.query('INSERT INTO written VALUES (1)');
    const n2 = node(url, 'n2', starts);
    await until(() => expect(n2.status().leader?.node).toBe('n1'));
    terminateLockSession('n1');
    await until(() => expect(n2.status().role).toBe('active'));
    await expect(store.query('COMMIT')).rejects.toThrow();
    const check = new Client({ connectionString: url });
    await check.connect();
    const leader = await check.query<{ epoch: string; node: string }>('SELECT epoch, node FROM leveret_leader');
    await check.end();
    expect(leader.rows).toEqual([{ epoch: '2', node: 'n2' }]);
  });

  it('a leader woken from a pause longer than its lease refuses to serve before any timer has run', async () => {
    const url = await freshDatabase();
    const starts: Record[] = [];
    const n1 = node(url, 'n1', starts, 1500);
    await until(() => expect(n1.status().role).toBe('active'));
    expect(n1.serving()).toBe(true);
    // The event loop stands still for longer than the lease, as under SIGSTOP: no timer, no heartbeat runs.
    const frozenUntil = Date.now() + 1700;
    while (Date.now() < frozenUntil) {
      // busy
    }
    // The first thing to run after the pause (a client's bytes, in the broker) asks, and is told no.
    expect(n1.serving()).toBe(false);
    await until(() => expect(starts[0]?.closed).toBe(true));
  });

  it('stop() hands the lead over at once', async () => {
    const url = await freshDatabase();
    const starts: Record[] = [];
    const n1 = node(url, 'n1', starts);
    await until(() => expect(n1.status().role).toBe('active'));
    const n2 = node(url, 'n2', starts);
    await until(() => expect(n2.status().leader?.node).toBe('n1'));
    const stoppedAt = Date.now();
    await n1.stop();
    expect(starts[0]?.closed).toBe(true);
    await until(() => expect(n2.status().role).toBe('active'));
    expect(Date.now() - stoppedAt).toBeLessThan(1000);
  });
});
