import { MemoryStore } from '../store/memory';
import type { QueueConsumer } from './consumer';
import type { Message, QueueEntry } from './message';
import { Queue } from './queue';
import type { QueueOptions } from './queue-options';

/*
 * Queue.unackedCount (messages_unacknowledged): +1 when a delivery that needs an ack leaves the ready list (drain
 * to a consumer without noAck, take(false)), -1 when it is settled (settle) or goes back (requeue). The model
 * channel below settles the way src/channel/channel.ts does (applySettlement, requeueAll, release, tx), so every
 * path that pairs an increment with a decrement is exercised against the queue.
 */

const OPTIONS: QueueOptions = { vhost: '/', name: 'q', durable: false, autoDelete: false, exclusiveOwner: null, arguments: {} };

function message(body: string, persistent = false): Message {
  return { id: 0, persistent, exchange: '', routingKey: 'q', properties: Buffer.from([0, 0]), body: Buffer.from(body), expiration: -1, headers: undefined };
}

function makeQueue(): Queue {
  return new Queue(OPTIONS, { unused: () => {} });
}

/** What channel.ts does with deliveries: an unacked table, settle/requeue through the queue, tx holding acks. */
class ModelChannel {
  unacked: Array<{ queue: Queue; entry: QueueEntry }> = [];
  txAcks: Array<{ queue: Queue; entry: QueueEntry; ack: boolean; requeue: boolean }> | undefined;

  /** channel.deliver / deliverGet with !noAck. */
  track(queue: Queue, entry: QueueEntry): void {
    this.unacked.push({ queue, entry });
  }

  /** channel.settle(tag = index + 1 style): the first `count` deliveries. */
  settle(count: number, ack: boolean, requeue: boolean): void {
    const settled = this.unacked.splice(0, count);
    if (this.txAcks !== undefined) {
      for (const u of settled) this.txAcks.push({ ...u, ack, requeue });
      return;
    }
    this.apply(settled, ack, requeue);
  }

  /** channel.applySettlement. */
  apply(settled: Array<{ queue: Queue; entry: QueueEntry }>, ack: boolean, requeue: boolean): void {
    const requeued = new Map<Queue, QueueEntry[]>();
    for (const u of settled) {
      if (ack || !requeue) u.queue.settle(u.entry);
      else requeued.set(u.queue, [...(requeued.get(u.queue) ?? []), u.entry]);
    }
    for (const [queue, entries] of requeued) queue.requeue(entries);
  }

  commit(): void {
    const acks = this.txAcks ?? [];
    this.txAcks = [];
    for (const u of acks) this.apply([u], u.ack, u.requeue);
  }

  rollback(): void {
    const acks = this.txAcks ?? [];
    this.txAcks = [];
    this.unacked.unshift(...acks.map(({ queue, entry }) => ({ queue, entry })));
  }

  /** channel.release: tx acks back to the table, then requeueAll. */
  release(): void {
    if (this.txAcks !== undefined) this.rollback();
    const all = this.unacked.splice(0);
    if (all.length > 0) this.apply(all, false, true);
  }
}

class ModelConsumer implements QueueConsumer {
  readonly exclusive = false;
  readonly priority = 0;
  delivered = 0;

  constructor(
    readonly channel: ModelChannel,
    readonly noAck: boolean,
    readonly tag = 'c',
    public prefetch = Infinity,
  ) {}

  canAccept(): boolean {
    return this.noAck || this.channel.unacked.length < this.prefetch;
  }

  deliver(queue: Queue, entry: QueueEntry): void {
    this.delivered++;
    if (!this.noAck) this.channel.track(queue, entry);
  }

  cancelledByBroker(): void {}
}

function fill(queue: Queue, n: number, persistent = false): void {
  for (let i = 0; i < n; i++) queue.enqueue(message(`m${i}`, persistent));
}

describe('Queue.unackedCount', () => {
  test('starts at 0; enqueue alone does not count', () => {
    const queue = makeQueue();
    fill(queue, 3);
    expect(queue.unackedCount).toBe(0);
    expect(queue.messageCount).toBe(3);
  });

  test('take(false) counts, settle uncounts; take(true) never counts', () => {
    const queue = makeQueue();
    fill(queue, 3);
    const a = queue.take(false) as QueueEntry;
    const b = queue.take(false) as QueueEntry;
    expect(queue.unackedCount).toBe(2);
    expect(queue.messageCount).toBe(1);
    queue.take(true);
    expect(queue.unackedCount).toBe(2);
    queue.settle(a);
    expect(queue.unackedCount).toBe(1);
    queue.settle(b);
    expect(queue.unackedCount).toBe(0);
  });

  test('an empty take(false) does not count', () => {
    const queue = makeQueue();
    expect(queue.take(false)).toBeUndefined();
    expect(queue.unackedCount).toBe(0);
  });

  test('requeue uncounts every entry it puts back', () => {
    const queue = makeQueue();
    fill(queue, 4);
    const taken = [queue.take(false), queue.take(false), queue.take(false)] as QueueEntry[];
    expect(queue.unackedCount).toBe(3);
    queue.requeue(taken.slice(0, 2));
    expect(queue.unackedCount).toBe(1);
    expect(queue.messageCount).toBe(3);
    queue.requeue([]);
    expect(queue.unackedCount).toBe(1);
  });

  test('drain to a manual-ack consumer counts; to a noAck consumer does not', () => {
    const queue = makeQueue();
    const channel = new ModelChannel();
    queue.addConsumer(new ModelConsumer(channel, true, 'auto'));
    fill(queue, 5);
    expect(queue.unackedCount).toBe(0);
    const manual = makeQueue();
    manual.addConsumer(new ModelConsumer(channel, false, 'manual'));
    fill(manual, 5);
    expect(manual.unackedCount).toBe(5);
    expect(manual.messageCount).toBe(0);
    channel.settle(5, true, false);
    expect(manual.unackedCount).toBe(0);
  });

  test('ack, nack without requeue and reject with requeue each pair with their delivery', async () => {
    const queue = makeQueue();
    const channel = new ModelChannel();
    const consumer = new ModelConsumer(channel, false, 'c', 4);
    queue.addConsumer(consumer);
    fill(queue, 10);
    expect(queue.unackedCount).toBe(4);
    expect(queue.messageCount).toBe(6);
    channel.settle(1, true, false); // ack
    channel.settle(1, false, false); // nack, dropped
    expect(queue.unackedCount).toBe(2);
    channel.settle(1, false, true); // reject, requeued
    expect(queue.unackedCount).toBe(1);
    expect(queue.messageCount).toBe(7);
    await new Promise((resolve) => setImmediate(resolve));
    queue.drain();
    // Capacity for 3 more: the consumer is back at its prefetch of 4.
    expect(queue.unackedCount).toBe(4);
    expect(queue.unackedCount + queue.messageCount).toBe(8);
  });

  test('a transaction holds acks as unacked until commit; rollback keeps them; release requeues all', () => {
    const queue = makeQueue();
    const channel = new ModelChannel();
    const consumer = new ModelConsumer(channel, false);
    queue.addConsumer(consumer);
    fill(queue, 6);
    expect(queue.unackedCount).toBe(6);
    channel.txAcks = [];
    channel.settle(2, true, false);
    expect(queue.unackedCount).toBe(6);
    channel.commit();
    expect(queue.unackedCount).toBe(4);
    channel.settle(2, true, false);
    channel.rollback();
    expect(queue.unackedCount).toBe(4);
    channel.settle(1, true, false);
    queue.removeConsumer(consumer);
    channel.release();
    expect(queue.unackedCount).toBe(0);
    expect(queue.messageCount).toBe(4);
  });

  test('purge leaves unacked deliveries counted', () => {
    const queue = makeQueue();
    fill(queue, 3);
    const entry = queue.take(false) as QueueEntry;
    expect(queue.purge()).toBe(2);
    expect(queue.unackedCount).toBe(1);
    queue.settle(entry);
    expect(queue.unackedCount).toBe(0);
  });

  test('after delete, settling or requeueing the outstanding deliveries still brings the count to 0', () => {
    const queue = makeQueue();
    fill(queue, 3);
    const a = queue.take(false) as QueueEntry;
    const b = queue.take(false) as QueueEntry;
    queue.destroy();
    queue.requeue([a]);
    queue.settle(b);
    expect(queue.unackedCount).toBe(0);
  });

  test('never goes below 0', () => {
    const queue = makeQueue();
    fill(queue, 1);
    const entry = queue.take(false) as QueueEntry;
    queue.settle(entry);
    queue.settle(entry);
    queue.requeue([entry]);
    expect(queue.unackedCount).toBe(0);
  });

  test('durable queue: persistent deliveries pair the same way and leave the store on ack', () => {
    const store = new MemoryStore();
    const queueId = store.putQueue({ vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: {} });
    const queue = new Queue({ ...OPTIONS, durable: true }, { unused: () => {} }, { store, queueId });
    const channel = new ModelChannel();
    queue.addConsumer(new ModelConsumer(channel, false));
    fill(queue, 4, true);
    expect(queue.unackedCount).toBe(4);
    channel.settle(3, true, false);
    expect(queue.unackedCount).toBe(1);
    expect(store.queueStats(queueId).messages).toBe(1);
    channel.release();
    expect(queue.unackedCount).toBe(0);
  });
});
