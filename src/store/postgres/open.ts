import type { Logger } from 'pino';
import type pg from 'pg';
import { StoreError } from '../errors';
import { connectClient, describe } from './connect';

/*
 * Opening a PostgresStore, on the broker's thread before the worker starts: one fenced transaction records that a
 * broker holds the store ('running' = 1 in leveret_meta) and, if the row was already 1 (the broker before stopped
 * uncleanly: kill -9, a crash, or it lost leadership to this node), marks every stored entry redelivered and records
 * when (unclean_stop_at), as the SQLite store does (sqlite/open.ts). Delivery marks are written in a group commit
 * after the delivery went out, so after an unclean stop any entry may have been delivered. A clean close sets the
 * row back to 0 (worker-main.ts). Then it reads what the store keeps on this thread: queue ids, id counters, and
 * the delayed-message index.
 */

export interface OpenedState {
  readonly queues: { id: number; vhost: string; name: string }[];
  readonly lastMessageId: number;
  readonly lastDelayedId: number;
  readonly lastUncleanStopAt: number;
  /** id, vhost, exchange, due_at of every delayed message. */
  readonly delayed: [number, string, string, number][];
  readonly unclean: boolean;
  readonly marked: number;
}

export async function openState(
  url: string,
  applicationName: string,
  fenceEpoch: number,
  timeoutMs: number,
  logger: Logger | undefined,
): Promise<OpenedState> {
  let client: pg.Client;
  try {
    client = await connectClient(url, applicationName, timeoutMs);
  } catch (err) {
    throw new StoreError('STORE_UNREADABLE', `PostgreSQL cannot be reached: ${describe(err)}`, { cause: err });
  }
  try {
    await client.query('BEGIN');
    if (fenceEpoch >= 0) {
      const res = await client.query<{ epoch: number }>('SELECT epoch FROM leveret_leader WHERE id = 1 FOR SHARE');
      const epoch = res.rows[0]?.epoch;
      if (epoch !== fenceEpoch) {
        throw new StoreError('STORE_LOCKED', `fenced: the leader epoch is ${String(epoch)}, not ${fenceEpoch}`);
      }
    }
    const meta = new Map<string, number>();
    for (const r of (await client.query<{ key: string; value: number }>('SELECT key, value FROM leveret_meta')).rows) {
      meta.set(r.key, r.value);
    }
    const unclean = meta.get('running') === 1;
    let marked = 0;
    let uncleanAt = meta.get('unclean_stop_at') ?? 0;
    if (unclean) {
      marked = (await client.query('UPDATE leveret_queue_entries SET redelivered = true WHERE NOT redelivered')).rowCount ?? 0;
      uncleanAt = Math.max(Date.now(), uncleanAt);
      await putMeta(client, 'unclean_stop_at', uncleanAt);
    }
    await putMeta(client, 'running', 1);
    const queues = (await client.query<{ id: number; vhost: string; name: string }>('SELECT id, vhost, name FROM leveret_queues')).rows;
    const maxMessage = (await client.query<{ id: number | null }>('SELECT max(id) AS id FROM leveret_messages')).rows[0]?.id ?? 0;
    const maxDelayed = (await client.query<{ id: number | null }>('SELECT max(id) AS id FROM leveret_delayed_messages')).rows[0]?.id ?? 0;
    const delayed = (
      await client.query({ text: 'SELECT id, vhost, exchange, due_at FROM leveret_delayed_messages', rowMode: 'array' })
    ).rows as [number, string, string, number][];
    await client.query('COMMIT');
    if (unclean) logger?.warn({ marked }, 'unclean stop detected: every stored message comes back redelivered');
    return {
      queues,
      lastMessageId: Math.max(meta.get('last_message_id') ?? 0, maxMessage ?? 0),
      lastDelayedId: Math.max(meta.get('last_delayed_id') ?? 0, maxDelayed ?? 0),
      lastUncleanStopAt: uncleanAt,
      delayed,
      unclean,
      marked,
    };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (err instanceof StoreError) throw err;
    throw new StoreError('STORE_UNREADABLE', `PostgreSQL store cannot be opened: ${describe(err)}`, { cause: err });
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function putMeta(client: pg.Client, key: string, value: number): Promise<void> {
  await client.query(
    'INSERT INTO leveret_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    [key, value],
  );
}
