import { AmqpError } from '../protocol/amqp-error';
import { ReplyCode } from '../protocol/generated/amqp';
import type { Queue } from '../queue/queue';
import type { Clock, Timer } from '../util/clock';
import type { Channel } from './channel';

/**
 * The consumer timeout of one channel, as RabbitMQ's consumer_timeout: one ticker per channel, never a timer per
 * delivery, and a coarse clock (the time of the last tick) that stamps the deliveries until the next one, so that a
 * delivery does not read the clock.
 */
export class ConsumerTimeouts {
  private timer: Timer | undefined;
  private tickMs = 0;
  private coarseNow = 0;
  private readonly checkLater = (): void => {
    this.timer = undefined;
    try {
      this.check();
    } catch (err) {
      this.channel.lifecycle.internalError(err);
    }
  };

  constructor(
    private readonly channel: Channel,
    private readonly clock: Clock,
  ) {}

  /**
   * A delivery needing an ack is going out: makes sure the ticker runs often enough for its queue's timeout, and
   * returns the time to stamp it with, the coarse clock (at most one tick before now).
   */
  watch(queue: Queue): number {
    const timeout = this.timeoutOf(queue);
    if (timeout === 0) return this.clock.now(); // unwatched (rare: the default is 30 min); a policy may add a timeout later
    const tick = tickFor(timeout);
    if (this.timer === undefined || tick < this.tickMs) {
      this.coarseNow = this.clock.now();
      this.arm(tick);
    }
    return this.coarseNow;
  }

  /** The channel is closing: no more ticks. */
  stop(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * A tick: a delivery unacked past its queue's timeout closes the channel with 406, as RabbitMQ's consumer_timeout
   * does (its deliveries are requeued by the close); otherwise the ticker goes on while deliveries are watched.
   * A delivery is stamped with the clock of the tick before it, so its deadline gets one tick's margin: a timeout
   * fires between one and two ticks late (a tick is a quarter of the timeout, at most a minute), never early.
   */
  check(): void {
    const channel = this.channel;
    if (channel.closing) return;
    const now = this.clock.now();
    this.coarseNow = now;
    let tick = 0;
    for (const u of channel.unacked.values()) {
      const timeout = this.timeoutOf(u.queue);
      if (timeout === 0) continue;
      const uTick = tickFor(timeout);
      if (u.deliveredAt + timeout + uTick <= now) {
        channel.lifecycle.channelError(
          channel.id,
          new AmqpError(
            ReplyCode.PreconditionFailed,
            `delivery acknowledgement on channel ${channel.id} timed out. Timeout value used: ${timeout} ms. ` +
              'This timeout value can be configured, see consumers doc guide to learn more',
          ),
        );
        return;
      }
      if (tick === 0 || uTick < tick) tick = uTick;
    }
    if (tick !== 0) this.arm(tick);
  }

  private timeoutOf(queue: Queue): number {
    return queue.settings.consumerTimeout ?? this.channel.session.consumerTimeout;
  }

  private arm(tick: number): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.tickMs = tick;
    this.timer = this.clock.setTimeout(this.checkLater, tick);
    this.timer.unref?.();
  }
}

/** The consumer timeout's tick for a timeout: a quarter of it, between 1 ms and a minute. */
function tickFor(timeout: number): number {
  return Math.min(Math.max(1, Math.floor(timeout / 4)), 60_000);
}
