import { decodeBatch, encodeBatch } from './batch-encoding';
import { PUT_DELAYED, REMOVE_DELAYED } from './delayed-ops';
import {
  DELETE_QUEUE,
  ENQUEUE,
  MARK,
  PUT_QUEUE,
  REMOVE,
  storedRecord,
  type EnqueueOp,
  type Op,
  type PendingMessage,
} from './ops';

function pending(id: number, body: string, live: number): PendingMessage {
  return {
    record: { id, exchange: 'ëx', routingKey: 'rk.ü', properties: Buffer.from([0x90, 0x00, 2]), body: Buffer.from(body) },
    live,
    written: false,
  };
}

function enqueue(queueId: number, seq: number, message: PendingMessage, extra: Partial<EnqueueOp> = {}): EnqueueOp {
  return { kind: ENQUEUE, queueId, seq, message, expiresAt: 0, priority: -1, redelivered: false, cancelled: false, ...extra };
}

/** Sends through structured cloning as postMessage would (the ArrayBuffer is transferred). */
function roundTrip(ops: Op[]): Op[] {
  const { message, transfer } = encodeBatch(7, ops, 42, 9);
  const cloned = structuredClone(message, { transfer });
  expect(cloned.seq).toBe(7);
  expect(cloned.lastMessageId).toBe(42);
  expect(cloned.lastDelayedId).toBe(9);
  return decodeBatch(cloned);
}

describe('writer-thread batches', () => {
  test('per-message ops round-trip in order; a message shared by two queues travels once and stays shared', () => {
    const shared = pending(1, 'to both queues', 2);
    const other = pending(2, 'x'.repeat(70_000), 1);
    const ops: Op[] = [
      enqueue(1, 10, shared, { expiresAt: 1_700_000_000_123, redelivered: true }),
      enqueue(2, 5, shared),
      { kind: MARK, queueId: 1, seq: 3, cancelled: false },
      enqueue(1, 11, other, { priority: 255 }),
      { kind: REMOVE, queueId: 2, seq: 4 },
    ];
    const out = roundTrip(ops);
    expect(out.map((op) => op.kind)).toEqual([ENQUEUE, ENQUEUE, MARK, ENQUEUE, REMOVE]);
    const [a, b, mark, c, remove] = out as [EnqueueOp, EnqueueOp, Op, EnqueueOp, Op];
    expect(a).toMatchObject({ queueId: 1, seq: 10, expiresAt: 1_700_000_000_123, redelivered: true, cancelled: false });
    expect(b).toMatchObject({ queueId: 2, seq: 5, expiresAt: 0, priority: -1, redelivered: false });
    expect(c).toMatchObject({ queueId: 1, seq: 11, priority: 255 });
    expect(a.message).toBe(b.message);
    expect(a.message.live).toBe(2);
    expect(a.message.written).toBe(false);
    expect(a.message.record).toEqual({ ...shared.record });
    expect(c.message.record.body.toString()).toBe('x'.repeat(70_000));
    expect(mark).toEqual({ kind: MARK, queueId: 1, seq: 3, cancelled: false });
    expect(remove).toEqual({ kind: REMOVE, queueId: 2, seq: 4 });
  });

  test('cancelled ops are left out, except that a cancelled enqueue still counts for its queue\'s last seq', () => {
    const m = pending(3, 'gone', 0);
    const ops: Op[] = [
      enqueue(1, 20, m, { cancelled: true }),
      { kind: MARK, queueId: 1, seq: 2, cancelled: true },
      { kind: PUT_DELAYED, record: { id: 1, vhost: '/', exchange: 'd', routingKey: 'k', properties: Buffer.alloc(2), body: Buffer.from('b'), dueAt: 5 }, cancelled: true },
    ];
    const out = roundTrip(ops);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ kind: ENQUEUE, queueId: 1, seq: 20, cancelled: true });
  });

  test('other ops keep their place between per-message ones; tables arrive encoded, delayed bodies as exact copies', () => {
    const slab = Buffer.alloc(8192, 0x61);
    const body = slab.subarray(100, 104);
    const queue = storedRecord({ vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: { 'x-max-length': 5 } });
    const ops: Op[] = [
      { kind: PUT_QUEUE, id: 1, record: queue },
      enqueue(1, 1, pending(4, 'm', 1)),
      { kind: PUT_DELAYED, record: { id: 2, vhost: '/', exchange: 'd', routingKey: 'k', properties: Buffer.alloc(2), body, dueAt: 9 }, cancelled: false },
      { kind: REMOVE_DELAYED, id: 1 },
      { kind: DELETE_QUEUE, id: 1, vhost: '/', name: 'q' },
    ];
    const out = roundTrip(ops);
    expect(out.map((op) => op.kind)).toEqual([PUT_QUEUE, ENQUEUE, PUT_DELAYED, REMOVE_DELAYED, DELETE_QUEUE]);
    const put = out[0] as Extract<Op, { kind: typeof PUT_QUEUE }>;
    expect(Buffer.from(put.record.args)).toEqual(queue.args);
    const delayed = out[2] as Extract<Op, { kind: typeof PUT_DELAYED }>;
    expect(Buffer.from(delayed.record.body).toString()).toBe('aaaa');
    expect(delayed.record.body.buffer.byteLength).toBe(4);
  });
});
