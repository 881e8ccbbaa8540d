import pg from 'pg';

/*
 * How the PostgreSQL store connects. Every connection names itself (application_name: a takeover terminates the
 * old leader's 'leveret-store%' backends), keeps TCP keepalives on, bounds each query on the client side (a
 * partitioned database must not hang the store forever) and has idle_in_transaction_session_timeout as the server's
 * own backstop for a transaction whose client went away.
 */

export const DEFAULT_APPLICATION_NAME = 'leveret-store';
/** The server ends a transaction left idle this long (a paused or partitioned store). */
export const IDLE_IN_TRANSACTION_MS = 10_000;

/**
 * The server's side of the connection notices a client gone silent in about ten seconds (instead of the OS's two
 * hours), so a partitioned old leader's backend, and the locks it holds, go away: TCP keepalives after 5 s idle,
 * every 2 s, 3 probes; unacknowledged data gives up after 10 s.
 */
const SERVER_SOCKET_OPTIONS = '-c tcp_keepalives_idle=5 -c tcp_keepalives_interval=2 -c tcp_keepalives_count=3 -c tcp_user_timeout=10000';

/** bigint (int8) columns as numbers: every id, seq and time the store keeps is below 2^53. */
const int8 = (value: string): number => Number(value);
const types = {
  getTypeParser(oid: number, format?: string): (value: string) => unknown {
    if (oid === 20) return int8;
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as unknown as pg.CustomTypesConfig;

/** Opens a connection (connectTimeoutMs bounds the connect and every query). */
export async function connectClient(url: string, applicationName: string, timeoutMs: number): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: url,
    application_name: applicationName,
    keepAlive: true,
    keepAliveInitialDelayMillis: 1000,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_MS,
    options: SERVER_SOCKET_OPTIONS,
    types,
  });
  // An error of an idle connection (the server restarted, the backend was terminated) must not crash the process:
  // the next query fails and says so.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
  return client;
}

export function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
