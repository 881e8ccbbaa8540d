import { Client } from 'pg';

/*
 * The lock session: one PostgreSQL connection per node that decides who is active.
 *
 * Leadership is a session advisory lock held on this connection. The active node runs a heartbeat on it, so the
 * session is never idle for long; the session's idle_session_timeout is the lease, so PostgreSQL itself ends the
 * session of a leader that stopped talking (paused, partitioned, dead without a FIN) and its lock with it. TCP
 * keepalives and tcp_user_timeout on both ends find a dead peer in seconds rather than at the OS's two-hour default.
 *
 * A takeover bumps the epoch in leveret_leader, the fencing token: the active node's store checks it in every write
 * transaction (SELECT ... FOR SHARE), so once the bump commits no write of an older leader can commit. Before the
 * bump, the old leader's store connections are terminated: a transaction it holds open (paused just before COMMIT)
 * dies with its connection instead of holding the epoch row's lock.
 *
 * The tables (leveret_leader, leveret_nodes) are created by the store's schema (store/postgres ensureSchema).
 */

/** The advisory lock's two keys: 'LV' and 1. */
const LOCK_KEYS = [0x4c56, 1] as const;
/** Store connections carry this application_name prefix (store/postgres); a takeover terminates them. */
export const STORE_APPLICATION_NAME = 'leveret-store';

export interface LeaderRow {
  readonly epoch: number;
  readonly node: string;
  /** ms since the epoch. */
  readonly since: number;
}

export interface NodeRow {
  readonly name: string;
  readonly role: 'active' | 'standby';
  readonly amqp: string;
  readonly http: string;
  /** ms since the epoch. */
  readonly startedAt: number;
  readonly seenAt: number;
}

export interface TakeoverResult {
  readonly epoch: number;
  readonly previous: LeaderRow;
  /** How long before the takeover the previous leader was last seen (its last heartbeat); 0 when unknown. */
  readonly leaderGoneMs: number;
  /** Store connections of the previous leader that were terminated. */
  readonly terminated: number;
}

export interface LockSessionOptions {
  readonly url: string;
  readonly node: string;
  /** The lease in ms: the session's idle_session_timeout and the bound on every query. */
  readonly leaseMs: number;
}

export class LockSession {
  private closed = false;
  /** Set when the connection reported an error or ended: the session (and any lock it held) is gone. */
  lost: Error | undefined;

  private constructor(
    private readonly client: Client,
    private readonly options: LockSessionOptions,
  ) {
    client.on('error', (err: Error) => {
      this.lost ??= err;
    });
    client.on('end', () => {
      this.lost ??= new Error('the lock session ended');
    });
  }

  /** Connects and sets the session's timeouts; rejects within about the lease when the database cannot be reached. */
  static async connect(options: LockSessionOptions): Promise<LockSession> {
    const lease = options.leaseMs;
    const client = new Client({
      connectionString: options.url,
      application_name: `leveret-lock:${options.node}`.slice(0, 63),
      connectionTimeoutMillis: lease,
      query_timeout: lease,
      keepAlive: true,
      keepAliveInitialDelayMillis: 1000,
    });
    // An error before 'connect' resolves is also reported as the rejection; the listener keeps it from being unhandled.
    client.on('error', () => undefined);
    try {
      await client.connect();
      const seconds = Math.max(1, Math.floor(lease / 3000));
      await client.query(
        `SET idle_session_timeout = ${Math.floor(lease)}; SET tcp_keepalives_idle = ${seconds}; ` +
          `SET tcp_keepalives_interval = ${seconds}; SET tcp_keepalives_count = 3; SET tcp_user_timeout = ${Math.floor(lease)}`,
      );
    } catch (err) {
      void client.end().catch(() => undefined);
      throw err;
    }
    return new LockSession(client, options);
  }

  /** True when this session now holds the leader lock (it may already have held it). */
  async tryLock(): Promise<boolean> {
    const result = await this.client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS locked', [...LOCK_KEYS]);
    return result.rows[0]?.locked === true;
  }

  /**
   * With the lock held: ends the previous leader's store connections and bumps the epoch. Retries the pair while the
   * epoch row stays locked (a store transaction that began before the termination): at most a few leases.
   */
  async takeOver(amqp: string, http: string): Promise<TakeoverResult> {
    const previous = await this.leader();
    let terminated = 0;
    for (let attempt = 1; ; attempt++) {
      const killed = await this.client.query<{ n: string }>(
        `SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity
          WHERE application_name LIKE $1 AND pid <> pg_backend_pid() AND datname = current_database()`,
        [`${STORE_APPLICATION_NAME}%`],
      );
      terminated += Number(killed.rows[0]?.n ?? 0);
      try {
        await this.client.query('BEGIN');
        await this.client.query(`SET LOCAL lock_timeout = ${Math.max(100, Math.floor(this.options.leaseMs / 5))}`);
        const gone = await this.client.query<{ gone: number | null }>(
          `SELECT (extract(epoch FROM now() - seen_at) * 1000)::float8 AS gone FROM leveret_nodes WHERE name = $1`,
          [previous.node],
        );
        const bumped = await this.client.query<{ epoch: string }>(
          `UPDATE leveret_leader SET epoch = epoch + 1, node = $1, since = now() WHERE id = 1 RETURNING epoch`,
          [this.options.node],
        );
        await this.upsertNode('active', amqp, http);
        await this.client.query('COMMIT');
        const epoch = Number(bumped.rows[0]?.epoch);
        const leaderGoneMs = previous.node === '' ? 0 : Math.max(0, Math.round(gone.rows[0]?.gone ?? 0));
        return { epoch, previous, leaderGoneMs, terminated };
      } catch (err) {
        await this.client.query('ROLLBACK').catch(() => undefined);
        // 55P03 lock_not_available: an old transaction still holds the row; end it and try again.
        if ((err as { code?: string }).code !== '55P03' || attempt >= 20) throw err;
      }
    }
  }

  /** Proves the session is alive (the heartbeat) and records this node's role and addresses. */
  async heartbeat(role: 'active' | 'standby', amqp: string, http: string): Promise<void> {
    await this.upsertNode(role, amqp, http);
  }

  async leader(): Promise<LeaderRow> {
    const result = await this.client.query<{ epoch: string; node: string; since: Date }>(
      'SELECT epoch, node, since FROM leveret_leader WHERE id = 1',
    );
    const row = result.rows[0];
    return row === undefined ? { epoch: 0, node: '', since: 0 } : { epoch: Number(row.epoch), node: row.node, since: row.since.getTime() };
  }

  async nodes(): Promise<NodeRow[]> {
    const result = await this.client.query<{ name: string; role: string; amqp: string; http: string; started_at: Date; seen_at: Date }>(
      'SELECT name, role, amqp, http, started_at, seen_at FROM leveret_nodes ORDER BY name',
    );
    return result.rows.map((r) => ({
      name: r.name,
      role: r.role === 'active' ? 'active' : 'standby',
      amqp: r.amqp,
      http: r.http,
      startedAt: r.started_at.getTime(),
      seenAt: r.seen_at.getTime(),
    }));
  }

  /** Ends the session (and releases the lock if held). Never throws. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const ended = this.client.end().catch(() => undefined);
    // end() waits for the server's goodbye; on a partitioned link that never comes.
    await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
  }

  private startedAt = Date.now();

  private async upsertNode(role: 'active' | 'standby', amqp: string, http: string): Promise<void> {
    await this.client.query(
      `INSERT INTO leveret_nodes (name, role, amqp, http, started_at, seen_at) VALUES ($1, $2, $3, $4, to_timestamp($5 / 1000.0), now())
       ON CONFLICT (name) DO UPDATE SET role = EXCLUDED.role, amqp = EXCLUDED.amqp, http = EXCLUDED.http,
         started_at = EXCLUDED.started_at, seen_at = now()`,
      [this.options.node, role, amqp, http, this.startedAt],
    );
  }
}
