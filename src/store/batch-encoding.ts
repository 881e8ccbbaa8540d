import { ENQUEUE, MARK, QUARANTINE, REMOVE, type EnqueueOp, type Op, type PendingMessage } from './ops';
import { PUT_DELAYED } from './delayed-ops';
import { decodeBytes, writeString } from '../protocol/utf8';

/*
 * A group-commit batch on its way to a writer thread (sqlite/writer-main.ts, postgres/worker-main.ts): the buffered ops of one or more turns,
 * in call order, as one message.
 *
 * The per-message ops (enqueue, mark, remove) are written into one ArrayBuffer that is transferred, not copied:
 * structured cloning an op object per message would cost the event loop about as much as the SQLite work it hands
 * over, and cloning a Buffer clones the whole allocation it views (a pooled slab, a socket chunk). Every other op
 * is rare (definitions, parameters, delayed messages) and travels as a structured-cloned object, its place in the
 * order kept by a marker record. Those ops hold only strings, numbers, booleans and bytes: tables are encoded when
 * the op is made.
 *
 * Cancelled ops are left out, except that a cancelled enqueue still raises its queue's last seq.
 */

export interface BatchMessage {
  readonly type: 'batch';
  /** Batches are numbered from 1 in the order they are sent; the writer reports commits by this number. */
  readonly seq: number;
  readonly bytes: ArrayBuffer;
  readonly length: number;
  /** The ops that are not per-message, in order. */
  readonly others: Op[];
  /** The last message and delayed-message ids handed out, to persist with the batch; 0 when unchanged. */
  readonly lastMessageId: number;
  readonly lastDelayedId: number;
}

const OTHER = 0;
const ENQUEUE_CANCELLED = 21;

/** Encodes ops (in order) for the writer thread. */
export function encodeBatch(
  seq: number,
  ops: readonly Op[],
  lastMessageId: number,
  lastDelayedId: number,
): { message: BatchMessage; transfer: ArrayBuffer[] } {
  const w = new Writer(estimate(ops));
  const others: Op[] = [];
  const sent = new Set<PendingMessage>();
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    switch (op.kind) {
      case ENQUEUE: {
        if (op.cancelled) {
          w.u8(ENQUEUE_CANCELLED);
          w.u32(op.queueId);
          w.f64(op.seq);
          break;
        }
        const m = op.message.record;
        w.u8(ENQUEUE);
        w.u32(op.queueId);
        w.f64(op.seq);
        w.f64(op.expiresAt);
        // Levels run 0..255: a presence byte, then the level.
        w.u8(op.priority < 0 ? 0 : 1);
        w.u8(op.priority < 0 ? 0 : op.priority);
        w.u8(op.redelivered ? 1 : 0);
        w.f64(m.id);
        if (sent.has(op.message)) {
          w.u8(0);
          break;
        }
        sent.add(op.message);
        w.u8(1);
        w.u32(op.message.live);
        w.str(m.exchange);
        w.str(m.routingKey);
        w.bytes(m.properties);
        w.bytes(m.body);
        break;
      }
      case MARK:
        if (op.cancelled) break;
        w.u8(MARK);
        w.u32(op.queueId);
        w.f64(op.seq);
        break;
      case REMOVE:
        w.u8(REMOVE);
        w.u32(op.queueId);
        w.f64(op.seq);
        break;
      case QUARANTINE: {
        const r = op.record;
        w.u8(OTHER);
        others.push({ ...op, record: { ...r, properties: exactCopy(r.properties), body: exactCopy(r.body) } });
        break;
      }
      case PUT_DELAYED: {
        if (op.cancelled) break;
        // Cloning a Buffer clones all of the memory it views (a pooled slab, a socket chunk): send exact copies.
        const r = op.record;
        w.u8(OTHER);
        others.push({ ...op, record: { ...r, properties: exactCopy(r.properties), body: exactCopy(r.body) } });
        break;
      }
      default:
        w.u8(OTHER);
        others.push(op);
    }
  }
  const bytes = w.buffer.buffer as ArrayBuffer;
  return {
    message: { type: 'batch', seq, bytes, length: w.offset, others, lastMessageId, lastDelayedId },
    transfer: [bytes],
  };
}

/** The writer thread's side: the ops of a batch, as applyOps takes them. */
export function decodeBatch(message: BatchMessage): Op[] {
  const r = new Reader(Buffer.from(message.bytes, 0, message.length));
  const ops: Op[] = [];
  const messages = new Map<number, PendingMessage>();
  let other = 0;
  while (r.offset < message.length) {
    const kind = r.u8();
    switch (kind) {
      case ENQUEUE: {
        const queueId = r.u32();
        const seq = r.f64();
        const expiresAt = r.f64();
        const hasPriority = r.u8() === 1;
        const level = r.u8();
        const priority = hasPriority ? level : -1;
        const redelivered = r.u8() === 1;
        const id = r.f64();
        let pending: PendingMessage;
        if (r.u8() === 1) {
          const live = r.u32();
          const exchange = r.str();
          const routingKey = r.str();
          const properties = r.bytes();
          const body = r.bytes();
          pending = { record: { id, exchange, routingKey, properties, body }, live, written: false };
          messages.set(id, pending);
        } else {
          pending = messages.get(id)!;
        }
        const op: EnqueueOp = {
          kind: ENQUEUE,
          queueId,
          seq,
          message: pending,
          expiresAt,
          priority,
          redelivered,
          cancelled: false,
        };
        ops.push(op);
        break;
      }
      case ENQUEUE_CANCELLED: {
        const queueId = r.u32();
        const seq = r.f64();
        ops.push({
          kind: ENQUEUE,
          queueId,
          seq,
          message: NO_MESSAGE,
          expiresAt: 0,
          priority: -1,
          redelivered: false,
          cancelled: true,
        });
        break;
      }
      case MARK:
        ops.push({ kind: MARK, queueId: r.u32(), seq: r.f64(), cancelled: false });
        break;
      case REMOVE:
        ops.push({ kind: REMOVE, queueId: r.u32(), seq: r.f64() });
        break;
      case OTHER:
        ops.push(message.others[other++]!);
        break;
      default:
        throw new Error(`store batch: unknown record ${kind}`);
    }
  }
  return ops;
}

/** A copy with a backing store of its own size. */
function exactCopy(b: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(b.length);
  b.copy(copy);
  return copy;
}

const NO_MESSAGE: PendingMessage = {
  record: { id: 0, exchange: '', routingKey: '', properties: Buffer.alloc(0), body: Buffer.alloc(0) },
  live: 0,
  written: true,
};

/** Bytes the per-message records of ops take, give or take the string lengths (the writer grows if needed). */
function estimate(ops: readonly Op[]): number {
  let n = 64;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    n += 32;
    if (op.kind === ENQUEUE && !op.cancelled) {
      const m = op.message.record;
      n += 32 + m.exchange.length + m.routingKey.length + m.properties.length + m.body.length;
    }
  }
  return n;
}

class Writer {
  buffer: Buffer;
  offset = 0;

  constructor(size: number) {
    this.buffer = Buffer.allocUnsafeSlow(size);
  }

  u8(v: number): void {
    this.ensure(1);
    this.buffer[this.offset++] = v;
  }

  u32(v: number): void {
    this.ensure(4);
    this.buffer.writeUInt32LE(v, this.offset);
    this.offset += 4;
  }

  f64(v: number): void {
    this.ensure(8);
    this.buffer.writeDoubleLE(v, this.offset);
    this.offset += 8;
  }

  /** Any string, escapes of non-UTF-8 bytes included (protocol/utf8.ts), so a routing key crosses unchanged. */
  str(s: string): void {
    const max = s.length * 3;
    this.ensure(4 + max);
    const n = writeString(this.buffer, this.offset + 4, s);
    this.buffer.writeUInt32LE(n, this.offset);
    this.offset += 4 + n;
  }

  bytes(b: Buffer): void {
    this.ensure(4 + b.length);
    this.buffer.writeUInt32LE(b.length, this.offset);
    b.copy(this.buffer, this.offset + 4);
    this.offset += 4 + b.length;
  }

  private ensure(n: number): void {
    if (this.offset + n <= this.buffer.length) return;
    const bigger = Buffer.allocUnsafeSlow(Math.max(this.buffer.length * 2, this.offset + n));
    this.buffer.copy(bigger, 0, 0, this.offset);
    this.buffer = bigger;
  }
}

class Reader {
  offset = 0;

  constructor(private readonly buffer: Buffer) {}

  u8(): number {
    return this.buffer[this.offset++] as number;
  }

  u32(): number {
    const v = this.buffer.readUInt32LE(this.offset);
    this.offset += 4;
    return v;
  }

  f64(): number {
    const v = this.buffer.readDoubleLE(this.offset);
    this.offset += 8;
    return v;
  }

  str(): string {
    const n = this.u32();
    const s = decodeBytes(this.buffer, this.offset, this.offset + n);
    this.offset += n;
    return s;
  }

  /** A view into the batch, not a copy: SQLite copies what it binds. */
  bytes(): Buffer {
    const n = this.u32();
    const b = this.buffer.subarray(this.offset, this.offset + n);
    this.offset += n;
    return b;
  }
}
