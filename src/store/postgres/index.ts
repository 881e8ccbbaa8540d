import type { AccessDefinitions } from '../store';
import { connectClient } from './connect';
import { readAccessRows } from './reads';
import { accessOf } from './records';

export { PostgresStore, type PostgresStoreOptions, type PostgresStoreCounters } from './store';
export { ensureSchema, SCHEMA_VERSION } from './schema';
export { setWorkerTypeScriptHook } from './channel';

/**
 * Vhosts, users and permissions, read without opening a store (a standby's HTTP authentication). Read-only: it
 * neither migrates nor marks anything.
 */
export async function readAccess(url: string, applicationName = 'leveret-access'): Promise<AccessDefinitions> {
  const client = await connectClient(url, applicationName, 10_000);
  try {
    return accessOf(await readAccessRows(client));
  } finally {
    await client.end().catch(() => undefined);
  }
}
