import type { QueueEntry } from '../queue/message';
import type { Queue } from '../queue/queue';
import type { ChannelConsumer } from './consumer';

/** One delivery awaiting ack/nack/reject. */
export class Unacked {
  /** Set when the settlement is held by a transaction until commit. */
  ack = true;
  requeue = false;

  constructor(
    readonly tag: number,
    readonly queue: Queue,
    readonly entry: QueueEntry,
    /** Undefined for basic.get deliveries. */
    readonly consumer: ChannelConsumer | undefined,
    /** Epoch ms of the delivery for the consumer timeout, from the channel's coarse clock (up to a tick early). */
    readonly deliveredAt: number,
  ) {}
}

/**
 * Unacked deliveries of a channel in delivery-tag order. Tags only grow, so a Map's insertion order is
 * tag order (re-inserting after a tx rollback keeps the order by rebuilding when needed).
 */
export class UnackedTable {
  private entries = new Map<number, Unacked>();
  private highest = 0;

  get size(): number {
    return this.entries.size;
  }

  add(u: Unacked): void {
    if (u.tag < this.highest) {
      // Out-of-order insert (tx rollback): rebuild sorted.
      const all = [...this.entries.values(), u].sort((a, b) => a.tag - b.tag);
      this.entries = new Map(all.map((x) => [x.tag, x]));
      return;
    }
    this.highest = u.tag;
    this.entries.set(u.tag, u);
  }

  /**
   * Removes and returns the deliveries an ack/nack with (tag, multiple) settles, as RabbitMQ does:
   * multiple with tag 0 means all; otherwise the tag itself must be outstanding. Undefined when unknown.
   */
  take(tag: number, multiple: boolean): Unacked[] | undefined {
    if (multiple && tag === 0) return this.takeAll();
    const target = this.entries.get(tag);
    if (target === undefined) return undefined;
    if (!multiple) {
      this.entries.delete(tag);
      return [target];
    }
    const out: Unacked[] = [];
    for (const [key, u] of this.entries) {
      if (key > tag) break;
      out.push(u);
    }
    for (const u of out) this.entries.delete(u.tag);
    return out;
  }

  values(): IterableIterator<Unacked> {
    return this.entries.values();
  }

  takeAll(): Unacked[] {
    const out = [...this.entries.values()];
    this.entries.clear();
    return out;
  }
}
