import type pg from 'pg';
import { encodeString } from '../../protocol/utf8';
import { PUT_DELAYED } from '../delayed-ops';
import { ENQUEUE, MARK, REMOVE, type EnqueueOp, type Op, type PendingMessage } from '../ops';
import { applyOther, deltaFor, RELEASE, type Deltas } from './apply-other';

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
 * Statements are named, so each connection parses them once. The other ops (definitions, users, parameters, delayed
 * messages, quarantine, audit): apply-other.ts.
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

const REMOVE_ENTRIES = {
  name: 'lv_remove_entries',
  text: `WITH d AS (
      DELETE FROM leveret_queue_entries e USING unnest($1::int[], $2::bigint[]) AS r(q, s)
      WHERE e.queue_id = r.q AND e.seq = r.s RETURNING e.queue_id, e.message_id, e.size),
    ${RELEASE}
    SELECT queue_id, count(*)::int AS n, sum(size)::bigint AS bytes FROM d GROUP BY queue_id`,
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
