/**
 * The PostgresStore: the whole Store contract on a private PostgreSQL cluster (fsync off: durability across a
 * machine crash is not what these tests check), and the plans of its paging reads. Fencing, restarts and unclean
 * stops: fencing.test.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { storeContract } from '../test-support/contract';
import { PAGING_SQL } from './reads';
import { PostgresStore } from './store';
import { startSchemaCluster, type SchemaCluster } from './test-support/cluster';

let pg: SchemaCluster;

beforeAll(async () => {
  pg = await startSchemaCluster();
}, 60_000);

afterAll(async () => {
  await pg.destroy();
});

storeContract('PostgresStore', async () => {
  await pg.reset();
  let current = await PostgresStore.open({ url: pg.cluster.url });
  return {
    store: current,
    reopen: async () => {
      await current.close();
      current = await PostgresStore.open({ url: pg.cluster.url });
      return current;
    },
    cleanup: () => current.close(),
    bodies: () => current.countRows('messages'),
  };
});

describe('PostgresStore paging reads', () => {
  test('walk the indexes (primary key, partial priority and expiry indexes), never the whole table', async () => {
    await pg.reset();
    // Two queues of 20,000 entries; the second a priority queue; every tenth entry expires.
    await pg.admin.query(`INSERT INTO leveret_messages (id, exchange, routing_key, properties, body, refcount)
      SELECT g, '', 'q', '\\x0000', 'body', 2 FROM generate_series(1, 20000) g`);
    await pg.admin.query(`INSERT INTO leveret_queue_entries (queue_id, seq, message_id, size, expires_at, priority)
      SELECT q, g, g, 4, CASE WHEN g % 10 = 0 THEN 1000 + g ELSE 0 END, CASE WHEN q = 2 THEN g % 5 END
      FROM generate_series(1, 20000) g, generate_series(1, 2) q`);
    await pg.admin.query('ANALYZE leveret_messages, leveret_queue_entries');
    const params: Record<keyof typeof PAGING_SQL, unknown[]> = {
      entries: [1, 100, 50],
      levelEntries: [2, 100, 50, 3],
      seqAt: [1, 100, 10],
      levelSeqAt: [2, 100, 10, 3],
      countEntries: [1, 100, 200],
      countLevelEntries: [2, 100, 200, 3],
      nextExpiry: [1, 100],
      nextLevelExpiry: [2, 100, 3],
      expired: [1, 100, 5000, 50],
      levelExpired: [2, 100, 5000, 50, 3],
    };
    const indexOf: Record<keyof typeof PAGING_SQL, string> = {
      entries: 'leveret_queue_entries_pkey',
      levelEntries: 'leveret_queue_entries_by_priority',
      seqAt: 'leveret_queue_entries_pkey',
      levelSeqAt: 'leveret_queue_entries_by_priority',
      countEntries: 'leveret_queue_entries_pkey',
      countLevelEntries: 'leveret_queue_entries_by_priority',
      nextExpiry: 'leveret_queue_entries_by_expiry',
      nextLevelExpiry: 'leveret_queue_entries_by_expiry',
      expired: 'leveret_queue_entries_by_expiry',
      levelExpired: 'leveret_queue_entries_by_expiry',
    };
    for (const read of Object.keys(PAGING_SQL) as (keyof typeof PAGING_SQL)[]) {
      const res = await pg.admin.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${PAGING_SQL[read]}`, params[read]);
      const plan = res.rows.map((r) => r['QUERY PLAN']).join('\n');
      expect({ read, usesIndex: plan.includes(indexOf[read]) }).toEqual({ read, usesIndex: true });
      expect({ read, seqScan: plan.includes('Seq Scan on leveret_queue_entries') }).toEqual({ read, seqScan: false });
      // One level's expired entries are the expiry index's range filtered by level: the planner may sort what that
      // range yields (entries already due), as SQLite's level expiry read does.
      if (read !== 'levelExpired') expect({ read, sort: / Sort /.test(plan) }).toEqual({ read, sort: false });
    }
  });
});
