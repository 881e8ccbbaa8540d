import { MethodId } from '../protocol/generated/amqp';
import { ConfirmTracker } from './confirms';

type Sent = [string, number, boolean];

/** Records what the tracker sends as [ack|nack, deliveryTag, multiple]. */
class FakeSender {
  readonly sent: Sent[] = [];
  readonly raw: Array<{ id: number; args: object }> = [];

  send(id: number, args: object): void {
    this.raw.push({ id, args });
    const a = args as { deliveryTag: number; multiple: boolean };
    const kind = id === MethodId.BasicAck ? 'ack' : id === MethodId.BasicNack ? 'nack' : `unknown ${id}`;
    this.sent.push([kind, a.deliveryTag, a.multiple]);
  }

  take(): Sent[] {
    return this.sent.splice(0);
  }
}

function publish(tracker: ConfirmTracker, count: number): number[] {
  const seqs: number[] = [];
  for (let i = 0; i < count; i++) seqs.push(tracker.next());
  return seqs;
}

describe('ConfirmTracker', () => {
  test('sequence numbers start at 1 and grow by one', () => {
    expect(publish(new ConfirmTracker(), 4)).toEqual([1, 2, 3, 4]);
  });

  test('flush with nothing settled sends nothing', () => {
    const t = new ConfirmTracker();
    const s = new FakeSender();
    publish(t, 3);
    t.flush(s);
    expect(s.raw).toEqual([]);
  });

  test('a single settle is an ack with multiple=false', () => {
    const t = new ConfirmTracker();
    const s = new FakeSender();
    t.settle(t.next(), true);
    t.flush(s);
    expect(s.raw).toEqual([{ id: MethodId.BasicAck, args: { deliveryTag: 1, multiple: false } }]);
  });

  test('in-order settles in one turn coalesce into one multiple ack', () => {
    const t = new ConfirmTracker();
    const s = new FakeSender();
    for (const seq of publish(t, 5)) t.settle(seq, true);
    t.flush(s);
    expect(s.raw).toEqual([{ id: MethodId.BasicAck, args: { deliveryTag: 5, multiple: true } }]);
  });

  test('runs coalesce across several flushes', () => {
    const t = new ConfirmTracker();
    const s = new FakeSender();
    publish(t, 10);
    for (const seq of [1, 2, 3]) t.settle(seq, true);
    t.flush(s);
    t.settle(4, true);
    t.flush(s);
    for (const seq of [5, 6, 7, 8]) t.settle(seq, true);
    t.flush(s);
    t.flush(s);
    expect(s.take()).toEqual([
      ['ack', 3, true],
      ['ack', 4, false],
      ['ack', 8, true],
    ]);
  });

  test('out-of-order settles within a turn are sorted and coalesced', () => {
    const t = new ConfirmTracker();
    const s = new FakeSender();
    publish(t, 4);
    for (const seq of [3, 1, 4, 2]) t.settle(seq, true);
    t.flush(s);
    expect(s.take()).toEqual([['ack', 4, true]]);
  });

  test('a settle past a gap is sent alone; the gap is filled in a later turn', () => {
    const t = new ConfirmTracker();
    const s = new FakeSender();
    publish(t, 4);
    t.settle(1, true);
    t.settle(3, true);
    t.settle(4, true);
    t.flush(s);
    // 2 is still outstanding: 3 and 4 must not be covered by a multiple ack.
    expect(s.take()).toEqual([
      ['ack', 1, false],
      ['ack', 3, false],
      ['ack', 4, false],
    ]);
    t.settle(2, true);
    t.flush(s);
    expect(s.take()).toEqual([['ack', 2, false]]);
  });

  test('a nack is never folded into a multiple ack', () => {
    const t = new ConfirmTracker();
    const s = new FakeSender();
    publish(t, 5);
    t.settle(1, true);
    t.settle(2, true);
    t.settle(3, false);
    t.settle(4, true);
    t.settle(5, true);
    t.flush(s);
    expect(s.take()).toEqual([
      ['ack', 2, true],
      ['nack', 3, false],
      ['ack', 4, false],
      ['ack', 5, false],
    ]);
    expect(s.raw[1]).toEqual({ id: MethodId.BasicNack, args: { deliveryTag: 3, multiple: false, requeue: false } });
  });

  test('a nack first in line is sent alone and confirmation continues after it', () => {
    const t = new ConfirmTracker();
    const s = new FakeSender();
    publish(t, 4);
    t.settle(1, false);
    t.flush(s);
    expect(s.take()).toEqual([['nack', 1, false]]);
    for (const seq of [2, 3, 4]) t.settle(seq, true);
    t.flush(s);
    expect(s.take()).toEqual([['ack', 4, true]]);
  });

  test('nack state does not leak: a later ack of another seq is an ack', () => {
    const t = new ConfirmTracker();
    const s = new FakeSender();
    publish(t, 3);
    t.settle(2, false);
    t.flush(s);
    t.settle(3, true);
    t.settle(1, true);
    t.flush(s);
    expect(s.take()).toEqual([
      ['nack', 2, false],
      ['ack', 1, false],
      ['ack', 3, false],
    ]);
  });

  // Once a gap is filled, every sequence number up to the highest confirmed one is confirmed; later
  // in-order settles should coalesce again ("as few frames as possible").
  test('coalescing resumes after a gap is filled', () => {
    const t = new ConfirmTracker();
    const s = new FakeSender();
    publish(t, 8);
    t.settle(1, true);
    t.settle(3, true);
    t.flush(s);
    t.settle(2, true);
    t.flush(s);
    expect(s.take()).toEqual([
      ['ack', 1, false],
      ['ack', 3, false],
      ['ack', 2, false],
    ]);
    for (const seq of [4, 5, 6]) t.settle(seq, true);
    t.flush(s);
    expect(s.take()).toEqual([['ack', 6, true]]);
  });
});
