import type pg from 'pg';
import { encodeString } from '../../protocol/utf8';
import { DELETE_DELAYED, PUT_DELAYED, REMOVE_DELAYED } from '../delayed-ops';
import {
  AUDIT,
  DELETE_BINDING,
  DELETE_EXCHANGE,
  DELETE_PARAMETER,
  DELETE_PERMISSION,
  DELETE_QUEUE,
  DELETE_USER,
  DELETE_VHOST,
  ENQUEUE,
  MARK,
  PRUNE_AUDIT,
  PUT_BINDING,
  PUT_EXCHANGE,
  PUT_PARAMETER,
  PUT_PERMISSION,
  PUT_QUEUE,
  PUT_USER,
  PUT_VHOST,
  QUARANTINE,
  REMOVE,
  type EnqueueOp,
  type Op,
  type PendingMessage,
} from '../ops';

/*
 * How the PostgreSQL store's worker applies a group of batches inside its one transaction (worker-main.ts).
 *
 * Ops are applied in call order, except that a run of per-message ops (enqueue, mark, remove) between two other ops
 * becomes at most four statements over arrays (unnest), never a statement per message: the bodies of the run, its
 * entries, its marks, its removals, in that order. That order gives the same result as call order, because an
 * entry's seq is never reused: a mark or a removal can only follow its enqueue. Bodies are stored once
 * (leveret_messages, with a refcount of the entries that point at them), whatever the number of queues. Each queue's
 * counters (entries, bytes, last seq) are updated once per transaction.
 *
 * Statements are named, so each connection parses them once.
 */

export interface QueueDelta {
  count: number;
  bytes: number;
  lastSeq: number;
}

export type Deltas = Map<number, QueueDelta>;

/**
 * The bodies of a run travel as ONE binary parameter ($2: each message's exchange, routing key, properties and body,
 * back to back), cut apart by lengths: a bytea[] parameter would be sent as hex text, twice the bytes, to be parsed.
 */
const INSERT_MESSAGES = {
  name: 'lv_insert_messages',
  text: `INSERT INTO leveret_messages (id, exchange, routing_key, properties, body, refcount)
    SELECT t.id,
      substring($2::bytea FROM t.o + 1 FOR t.el),
      substring($2::bytea FROM t.o + t.el + 1 FOR t.rl),
      substring($2::bytea FROM t.o + t.el + t.rl + 1 FOR t.pl),
      substring($2::bytea FROM t.o + t.el + t.rl + t.pl + 1 FOR t.bl),
      t.refs
    FROM unnest($1::bigint[], $3::int[], $4::int[], $5::int[], $6::int[], $7::int[], $8::int[])
      AS t(id, o, el, rl, pl, bl, refs)
    ON CONFLICT (id) DO UPDATE SET refcount = leveret_messages.refcount + excluded.refcount`,
};

const INSERT_ENTRIES = {
  name: 'lv_insert_entries',
  text: `WITH ins AS (
      INSERT INTO leveret_queue_entries (queue_id, seq, message_id, size, redelivered, expires_at, priority)
      SELECT * FROM unnest($1::int[], $2::bigint[], $3::bigint[], $4::int[], $5::bool[], $6::float8[], $7::smallint[])
      ON CONFLICT (queue_id, seq) DO NOTHING
      RETURNING queue_id, size)
    SELECT queue_id, count(*)::int AS n, sum(size)::bigint AS bytes FROM ins GROUP BY queue_id`,
};

const MARK_ENTRIES = {
  name: 'lv_mark_entries',
  text: `UPDATE leveret_queue_entries e SET redelivered = true
    FROM unnest($1::int[], $2::bigint[]) AS m(q, s) WHERE e.queue_id = m.q AND e.seq = m.s`,
};

/** Deletes entries and lets go of their bodies: a body goes with its last entry. Returns counts per queue. */
const RELEASE = `c AS (SELECT message_id, count(*)::int AS n FROM d GROUP BY message_id),
    gone AS (DELETE FROM leveret_messages m USING c WHERE m.id = c.message_id AND m.refcount <= c.n),
    kept AS (UPDATE leveret_messages m SET refcount = m.refcount - c.n FROM c WHERE m.id = c.message_id AND m.refcount > c.n)`;

const REMOVE_ENTRIES = {
  name: 'lv_remove_entries',
  text: `WITH d AS (
      DELETE FROM leveret_queue_entries e USING unnest($1::int[], $2::bigint[]) AS r(q, s)
      WHERE e.queue_id = r.q AND e.seq = r.s RETURNING e.queue_id, e.message_id, e.size),
    ${RELEASE}
    SELECT queue_id, count(*)::int AS n, sum(size)::bigint AS bytes FROM d GROUP BY queue_id`,
};

const DROP_QUEUE_ENTRIES = {
  name: 'lv_drop_queue_entries',
  text: `WITH d AS (DELETE FROM leveret_queue_entries WHERE queue_id = $1 RETURNING message_id),
    ${RELEASE}
    SELECT count(*)::int AS n FROM d`,
};

const UPDATE_QUEUES = {
  name: 'lv_update_queues',
  text: `UPDATE leveret_queues q SET entry_count = q.entry_count + d.c, entry_bytes = q.entry_bytes + d.b,
      last_seq = GREATEST(q.last_seq, d.l)
    FROM unnest($1::int[], $2::bigint[], $3::bigint[], $4::bigint[]) AS d(id, c, b, l) WHERE q.id = d.id`,
};

const PUT_META = {
  name: 'lv_put_meta',
  text: `INSERT INTO leveret_meta (key, value) VALUES ($1, $2)
    ON CONFLICT (key) DO UPDATE SET value = GREATEST(leveret_meta.value, excluded.value)`,
};

/** The per-message ops of a run, as the arrays its statements take. */
class EntryRun {
  private msgIndex = new Map<number, number>();
  private mIds: number[] = [];
  /** exchange, routing key, properties, body of each message, back to back */
  private mParts: Buffer[] = [];
  private mBytes = 0;
  private mOffsets: number[] = [];
  private mExchangeLens: number[] = [];
  private mKeyLens: number[] = [];
  private mPropLens: number[] = [];
  private mBodyLens: number[] = [];
  private mRefs: number[] = [];
  private eQueues: number[] = [];
  private eSeqs: number[] = [];
  private eMessages: number[] = [];
  private eSizes: number[] = [];
  private eRedelivered: boolean[] = [];
  private eExpires: number[] = [];
  private ePriorities: (number | null)[] = [];
  private kQueues: number[] = [];
  private kSeqs: number[] = [];
  private rQueues: number[] = [];
  private rSeqs: number[] = [];

  get empty(): boolean {
    return this.eQueues.length === 0 && this.kQueues.length === 0 && this.rQueues.length === 0 && this.mIds.length === 0;
  }

  enqueue(op: EnqueueOp): void {
    const pending: PendingMessage = op.message;
    const m = pending.record;
    if (!pending.written) {
      pending.written = true;
      const at = this.msgIndex.get(m.id);
      if (at !== undefined) {
        this.mRefs[at]! += pending.live;
      } else {
        this.msgIndex.set(m.id, this.mIds.length);
        const exchange = encodeString(m.exchange);
        const routingKey = encodeString(m.routingKey);
        this.mIds.push(m.id);
        this.mOffsets.push(this.mBytes);
        this.mExchangeLens.push(exchange.length);
        this.mKeyLens.push(routingKey.length);
        this.mPropLens.push(m.properties.length);
        this.mBodyLens.push(m.body.length);
        this.mParts.push(exchange, routingKey, m.properties, m.body);
        this.mBytes += exchange.length + routingKey.length + m.properties.length + m.body.length;
        this.mRefs.push(pending.live);
      }
    }
    this.eQueues.push(op.queueId);
    this.eSeqs.push(op.seq);
    this.eMessages.push(m.id);
    this.eSizes.push(m.body.length);
    this.eRedelivered.push(op.redelivered);
    this.eExpires.push(op.expiresAt);
    this.ePriorities.push(op.priority < 0 ? null : op.priority);
  }

  mark(queueId: number, seq: number): void {
    this.kQueues.push(queueId);
    this.kSeqs.push(seq);
  }

  remove(queueId: number, seq: number): void {
    this.rQueues.push(queueId);
    this.rSeqs.push(seq);
  }

  /** Runs the run's statements; returns how many entries the inserts skipped (already there). */
  async write(client: pg.Client, deltas: Deltas): Promise<number> {
    let skipped = 0;
    if (this.mIds.length > 0) {
      await client.query({
        ...INSERT_MESSAGES,
        values: [
          this.mIds,
          Buffer.concat(this.mParts, this.mBytes),
          this.mOffsets,
          this.mExchangeLens,
          this.mKeyLens,
          this.mPropLens,
          this.mBodyLens,
          this.mRefs,
        ],
      });
    }
    if (this.eQueues.length > 0) {
      const res = await client.query<{ queue_id: number; n: number; bytes: number }>({
        ...INSERT_ENTRIES,
        values: [this.eQueues, this.eSeqs, this.eMessages, this.eSizes, this.eRedelivered, this.eExpires, this.ePriorities],
      });
      let inserted = 0;
      for (const r of res.rows) {
        const d = deltaFor(deltas, r.queue_id);
        d.count += r.n;
        d.bytes += Number(r.bytes);
        inserted += r.n;
      }
      skipped = this.eQueues.length - inserted;
    }
    if (this.kQueues.length > 0) await client.query({ ...MARK_ENTRIES, values: [this.kQueues, this.kSeqs] });
    if (this.rQueues.length > 0) {
      const res = await client.query<{ queue_id: number; n: number; bytes: number }>({
        ...REMOVE_ENTRIES,
        values: [this.rQueues, this.rSeqs],
      });
      for (const r of res.rows) {
        const d = deltaFor(deltas, r.queue_id);
        d.count -= r.n;
        d.bytes -= Number(r.bytes);
      }
    }
    return skipped;
  }
}

export interface ApplyResult {
  /** Ops written (cancelled ones not included). */
  written: number;
  /** Entries that were already stored (their insert was skipped). */
  skipped: number;
}

/** Inside the transaction: applies the batches' ops and each queue's counters; ids handed out (0: unchanged). */
export async function applyBatches(
  client: pg.Client,
  batches: readonly (readonly Op[])[],
  lastMessageId: number,
  lastDelayedId: number,
): Promise<ApplyResult> {
  const deltas: Deltas = new Map();
  let run = new EntryRun();
  let written = 0;
  let skipped = 0;
  for (const ops of batches) {
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      switch (op.kind) {
        case ENQUEUE: {
          const d = deltaFor(deltas, op.queueId);
          if (op.seq > d.lastSeq) d.lastSeq = op.seq;
          if (op.cancelled) break;
          run.enqueue(op);
          written++;
          break;
        }
        case MARK:
          if (op.cancelled) break;
          run.mark(op.queueId, op.seq);
          written++;
          break;
        case REMOVE:
          run.remove(op.queueId, op.seq);
          written++;
          break;
        default:
          if (op.kind === PUT_DELAYED && op.cancelled) break;
          if (!run.empty) {
            skipped += await run.write(client, deltas);
            run = new EntryRun();
          }
          await applyOther(client, op, deltas);
          written++;
      }
    }
  }
  if (!run.empty) skipped += await run.write(client, deltas);
  if (deltas.size > 0) {
    const ids: number[] = [];
    const counts: number[] = [];
    const bytes: number[] = [];
    const seqs: number[] = [];
    for (const [id, d] of deltas) {
      ids.push(id);
      counts.push(d.count);
      bytes.push(d.bytes);
      seqs.push(d.lastSeq);
    }
    await client.query({ ...UPDATE_QUEUES, values: [ids, counts, bytes, seqs] });
  }
  if (lastMessageId > 0) await client.query({ ...PUT_META, values: ['last_message_id', lastMessageId] });
  if (lastDelayedId > 0) await client.query({ ...PUT_META, values: ['last_delayed_id', lastDelayedId] });
  return { written, skipped };
}

/** Inside a transaction: deletes a queue's entries, letting go of their bodies; returns how many there were. */
export async function dropQueueEntries(client: pg.Client, queueId: number): Promise<number> {
  const res = await client.query<{ n: number }>({ ...DROP_QUEUE_ENTRIES, values: [queueId] });
  await client.query('UPDATE leveret_queues SET entry_count = 0, entry_bytes = 0 WHERE id = $1', [queueId]);
  return res.rows[0]?.n ?? 0;
}

async function dropQueue(client: pg.Client, queueId: number, deltas: Deltas): Promise<void> {
  await dropQueueEntries(client, queueId);
  await client.query('DELETE FROM leveret_queues WHERE id = $1', [queueId]);
  deltas.delete(queueId);
}

async function applyOther(client: pg.Client, op: Op, deltas: Deltas): Promise<void> {
  switch (op.kind) {
    case PUT_EXCHANGE: {
      const r = op.record;
      await client.query(
        `INSERT INTO leveret_exchanges (vhost, name, type, durable, auto_delete, internal, arguments)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (vhost, name) DO UPDATE SET type = excluded.type, durable = excluded.durable,
           auto_delete = excluded.auto_delete, internal = excluded.internal, arguments = excluded.arguments`,
        [r.vhost, r.name, r.type, r.durable, r.autoDelete, r.internal, r.args],
      );
      return;
    }
    case DELETE_EXCHANGE:
      await client.query('DELETE FROM leveret_exchanges WHERE vhost = $1 AND name = $2', [op.vhost, op.name]);
      await client.query(
        `DELETE FROM leveret_bindings WHERE vhost = $1 AND (source = $2 OR (destination_kind = 'exchange' AND destination = $2))`,
        [op.vhost, op.name],
      );
      return;
    case PUT_QUEUE: {
      const r = op.record;
      await client.query(
        `INSERT INTO leveret_queues (id, vhost, name, durable, auto_delete, arguments) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (id) DO UPDATE SET durable = excluded.durable, auto_delete = excluded.auto_delete,
           arguments = excluded.arguments`,
        [op.id, r.vhost, r.name, r.durable, r.autoDelete, r.args],
      );
      return;
    }
    case DELETE_QUEUE:
      if (op.id !== 0) await dropQueue(client, op.id, deltas);
      await client.query(
        `DELETE FROM leveret_bindings WHERE vhost = $1 AND destination_kind = 'queue' AND destination = $2`,
        [op.vhost, op.name],
      );
      return;
    case PUT_BINDING: {
      const r = op.record;
      await client.query(
        `INSERT INTO leveret_bindings (vhost, source, destination_kind, destination, routing_key, arguments_key, arguments)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (vhost, source, destination_kind, destination, routing_key, arguments_key)
         DO UPDATE SET arguments = excluded.arguments`,
        [r.vhost, r.source, r.destinationKind, r.destination, r.routingKey, r.argsKey, r.args],
      );
      return;
    }
    case DELETE_BINDING: {
      const r = op.record;
      await client.query(
        `DELETE FROM leveret_bindings WHERE vhost = $1 AND source = $2 AND destination_kind = $3 AND destination = $4
           AND routing_key = $5 AND arguments_key = $6`,
        [r.vhost, r.source, r.destinationKind, r.destination, r.routingKey, r.argsKey],
      );
      return;
    }
    case PUT_VHOST: {
      const r = op.record;
      await client.query(
        `INSERT INTO leveret_vhosts (name, description, tags, default_queue_type) VALUES ($1, $2, $3, $4)
         ON CONFLICT (name) DO UPDATE SET description = excluded.description, tags = excluded.tags,
           default_queue_type = excluded.default_queue_type`,
        [r.name, r.description, JSON.stringify(r.tags), r.defaultQueueType ?? null],
      );
      return;
    }
    case DELETE_VHOST: {
      const ids = await client.query<{ id: number }>('SELECT id FROM leveret_queues WHERE vhost = $1', [op.name]);
      for (const { id } of ids.rows) await dropQueue(client, id, deltas);
      const v = [op.name];
      await client.query('DELETE FROM leveret_exchanges WHERE vhost = $1', v);
      await client.query('DELETE FROM leveret_bindings WHERE vhost = $1', v);
      await client.query('DELETE FROM leveret_permissions WHERE vhost = $1', v);
      if (op.name !== '') await client.query('DELETE FROM leveret_parameters WHERE vhost = $1', v);
      await client.query('DELETE FROM leveret_delayed_messages WHERE vhost = $1', v);
      await client.query('DELETE FROM leveret_quarantined_messages WHERE vhost = $1', v);
      await client.query('DELETE FROM leveret_vhosts WHERE name = $1', v);
      return;
    }
    case PUT_USER: {
      const r = op.record;
      await client.query(
        `INSERT INTO leveret_users (name, password_hash, hashing_algorithm, tags) VALUES ($1, $2, $3, $4)
         ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash,
           hashing_algorithm = excluded.hashing_algorithm, tags = excluded.tags`,
        [r.name, r.passwordHash, r.hashingAlgorithm, JSON.stringify(r.tags)],
      );
      return;
    }
    case DELETE_USER:
      await client.query('DELETE FROM leveret_users WHERE name = $1', [op.name]);
      await client.query('DELETE FROM leveret_permissions WHERE user_name = $1', [op.name]);
      return;
    case PUT_PERMISSION: {
      const r = op.record;
      await client.query(
        `INSERT INTO leveret_permissions (user_name, vhost, configure_re, write_re, read_re) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (user_name, vhost) DO UPDATE SET configure_re = excluded.configure_re,
           write_re = excluded.write_re, read_re = excluded.read_re`,
        [r.user, r.vhost, r.configure, r.write, r.read],
      );
      return;
    }
    case DELETE_PERMISSION:
      await client.query('DELETE FROM leveret_permissions WHERE user_name = $1 AND vhost = $2', [op.user, op.vhost]);
      return;
    case PUT_PARAMETER:
      await client.query(
        `INSERT INTO leveret_parameters (component, vhost, name, value) VALUES ($1, $2, $3, $4)
         ON CONFLICT (component, vhost, name) DO UPDATE SET value = excluded.value`,
        [op.component, op.vhost, op.name, op.json],
      );
      return;
    case DELETE_PARAMETER:
      await client.query('DELETE FROM leveret_parameters WHERE component = $1 AND vhost = $2 AND name = $3', [
        op.component,
        op.vhost,
        op.name,
      ]);
      return;
    case QUARANTINE: {
      const r = op.record;
      await client.query(
        `INSERT INTO leveret_quarantined_messages (vhost, queue, reason, at, exchange, routing_key, properties, body)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [r.vhost, r.queue, r.reason, r.at, encodeString(r.exchange), encodeString(r.routingKey), r.properties, r.body],
      );
      return;
    }
    case AUDIT: {
      const r = op.record;
      await client.query(
        `INSERT INTO leveret_audit_log (at, user_name, source, peer, vhost, action, object_type, object_name, details, result, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [r.at, r.user, r.source, r.peer, r.vhost, r.action, r.objectType, r.objectName, r.details, r.result, r.reason],
      );
      return;
    }
    case PRUNE_AUDIT:
      await client.query(
        `DELETE FROM leveret_audit_log WHERE at < $2
           OR id <= (SELECT id FROM leveret_audit_log ORDER BY id DESC LIMIT 1 OFFSET $1)`,
        [op.keep, op.before],
      );
      return;
    case PUT_DELAYED: {
      const r = op.record;
      await client.query(
        `INSERT INTO leveret_delayed_messages (id, vhost, exchange, routing_key, properties, body, due_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`,
        [r.id, r.vhost, r.exchange, encodeString(r.routingKey), r.properties, r.body, r.dueAt],
      );
      return;
    }
    case REMOVE_DELAYED:
      await client.query('DELETE FROM leveret_delayed_messages WHERE id = $1', [op.id]);
      return;
    case DELETE_DELAYED:
      await client.query('DELETE FROM leveret_delayed_messages WHERE vhost = $1 AND exchange = $2', [op.vhost, op.exchange]);
      return;
    case ENQUEUE:
    case MARK:
    case REMOVE:
      throw new Error('per-message ops are written by runs');
  }
}

function deltaFor(deltas: Deltas, queueId: number): QueueDelta {
  let d = deltas.get(queueId);
  if (d === undefined) {
    d = { count: 0, bytes: 0, lastSeq: 0 };
    deltas.set(queueId, d);
  }
  return d;
}
