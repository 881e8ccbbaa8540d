/**
 * The durability tests on PostgreSQL: with LEVERET_TEST_STORE=postgres (the jest project `durability-pg` sets it),
 * every child broker runs with `--store` on a database of its own in one private PostgreSQL cluster per test file,
 * instead of SQLite in its data directory. The data directory still names the broker's state: the same directory
 * gives the same database, so a restart on it finds what the broker before left.
 */
import { createHash } from 'node:crypto';
import { startPostgres, type PostgresCluster } from '../../src/test-support/postgres';

let cluster: Promise<PostgresCluster> | undefined;

export function onPostgres(): boolean {
  return process.env.LEVERET_TEST_STORE === 'postgres';
}

/** Extra arguments for a child broker on `dataDir`: none on SQLite, `--store <url>` on PostgreSQL. */
export async function storeArgs(dataDir: string): Promise<string[]> {
  if (!onPostgres()) return [];
  cluster ??= startPostgres({ fast: true });
  const pg = await cluster;
  const name = `d_${createHash('sha256').update(dataDir).digest('hex').slice(0, 16)}`;
  return ['--store', pg.database(name), '--node-name', `leveret-${name}`];
}

/** Stops the cluster of this test file (afterAll, registered for the project by on-postgres-after-env.ts). */
export async function stopPostgres(): Promise<void> {
  const c = cluster;
  cluster = undefined;
  if (c !== undefined) (await c).destroy();
}
