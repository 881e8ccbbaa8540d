import type { QueueConsumer } from '../queue/consumer';
import type { QueueEntry } from '../queue/message';
import type { Queue } from '../queue/queue';
import type { Channel } from './channel';
import { deliver } from './delivery';

/** A basic.consume subscription: the queue's view of one channel consumer. */
export class ChannelConsumer implements QueueConsumer {
  /** Deliveries not yet settled, for the per-consumer prefetch limit. */
  unacked = 0;

  constructor(
    readonly channel: Channel,
    readonly queue: Queue,
    readonly tag: string,
    readonly noAck: boolean,
    readonly exclusive: boolean,
    readonly priority: number,
    /** Per-consumer prefetch (basic.qos global=false at consume time); 0 = unlimited. */
    readonly prefetch: number,
  ) {}

  canAccept(): boolean {
    const channel = this.channel;
    if (!channel.canDeliver()) return false;
    if (this.noAck) return true;
    if (this.prefetch !== 0 && this.unacked >= this.prefetch) return false;
    return channel.hasGlobalCredit();
  }

  deliver(queue: Queue, entry: QueueEntry): void {
    deliver(this.channel, this, queue, entry);
  }

  cancelledByBroker(): void {
    this.channel.consumerCancelledByBroker(this);
  }

  failed(err: unknown): void {
    this.channel.lifecycle.internalError(err);
  }
}
