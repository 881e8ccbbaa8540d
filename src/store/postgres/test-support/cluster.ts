import pg from 'pg';
import { startPostgres, type PostgresCluster } from '../../../test-support/postgres';
import { ensureSchema, STORE_TABLES } from '../schema';

/** A private cluster with the store's schema, and an admin connection that empties it between tests. */
export interface SchemaCluster {
  readonly cluster: PostgresCluster;
  /** A superuser connection that is not the store's (its application_name is not 'leveret-store%'). */
  readonly admin: pg.Client;
  /** A new admin connection, after a server restart ended the old one. */
  reconnectAdmin(): Promise<void>;
  /** Empties every table of the store and resets the leader row: a fresh store. */
  reset(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startSchemaCluster(options: { fast?: boolean } = { fast: true }): Promise<SchemaCluster> {
  const cluster = await startPostgres(options);
  try {
    await ensureSchema(cluster.url);
    const connect = async (): Promise<pg.Client> => {
      const client = new pg.Client({ connectionString: cluster.url, application_name: 'leveret-test-admin' });
      client.on('error', () => undefined);
      await client.connect();
      return client;
    };
    let admin = await connect();
    return {
      cluster,
      get admin(): pg.Client {
        return admin;
      },
      reconnectAdmin: async () => {
        await admin.end().catch(() => undefined);
        admin = await connect();
      },
      reset: async () => {
        await admin.query(`TRUNCATE ${STORE_TABLES.join(', ')} RESTART IDENTITY`);
        await admin.query(`UPDATE leveret_leader SET epoch = 0, node = '', since = now()`);
        await admin.query(`UPDATE leveret_last_batch SET writer = '', seq = 0`);
      },
      destroy: async () => {
        await admin.end().catch(() => undefined);
        cluster.destroy();
      },
    };
  } catch (err) {
    cluster.destroy();
    throw err;
  }
}
