/**
 * The PostgresStore: the whole Store contract on a private PostgreSQL cluster (fsync off: durability across a
 * machine crash is not what these tests check). Fencing, restarts and unclean stops: fencing.test.ts.
 */
import { afterAll, beforeAll } from '@jest/globals';
import { storeContract } from '../test-support/contract';
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
