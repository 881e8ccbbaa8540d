import type { Logger } from 'pino';
import { HEARTBEAT_FRAME } from '../protocol/frames';
import type { Clock, Timer } from '../util/clock';
import type { Transport } from './transport';
import type { FrameWriter } from './writer';

/** What heartbeats need from their connection. */
export interface HeartbeatHost {
  readonly logger: Logger;
  /** True while output is over its limit and the socket is not read: the silence is ours, not the client's. */
  readonly inputHeld: boolean;
  guarded(work: () => void): void;
}

/**
 * Heartbeats of an open connection: a tick twice per negotiated interval sends a heartbeat when nothing else was
 * written, and the client's silence over two intervals ends the connection.
 */
export class Heartbeats {
  /** Set by every read; cleared by each tick. */
  received = false;
  private missedTicks = 0;
  /** False until the first tick, which sends a heartbeat whatever was written before it (as RabbitMQ's sender). */
  private started = false;
  private timer: Timer | undefined;
  private intervalMs = 0;
  private readonly tickLater = (): void => {
    this.timer = undefined;
    this.host.guarded(() => this.tick());
  };

  constructor(
    private readonly host: HeartbeatHost,
    private readonly socket: Transport,
    private readonly writer: FrameWriter,
    private readonly clock: Clock,
  ) {}

  /** Starts ticking for a negotiated heartbeat of `seconds` (0: none). */
  start(seconds: number): void {
    if (seconds <= 0) return;
    this.intervalMs = (seconds * 1000) / 2;
    this.arm();
  }

  stop(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.intervalMs = 0;
  }

  private arm(): void {
    this.timer = this.clock.setTimeout(this.tickLater, this.intervalMs);
    this.timer.unref?.();
  }

  /** Runs twice per heartbeat interval: sends a heartbeat when idle, closes after two silent intervals. */
  private tick(): void {
    // While output is over its limit the socket is not read: the silence is ours, not the client's.
    if (this.received || this.host.inputHeld) {
      this.missedTicks = 0;
    } else if (++this.missedTicks >= 4) {
      this.host.logger.warn({ timeout: (this.intervalMs * 2) / 1000 }, 'missed heartbeats from client; closing connection');
      this.stop();
      this.socket.destroy();
      return;
    }
    this.received = false;
    // Open-ok (and a channel.open-ok just after) must not delay the first heartbeat to a whole interval after it:
    // some clients (amqp-client) time out after one silent interval, not two.
    const writer = this.writer;
    if (!writer.wroteSinceTick || !this.started) writer.write(HEARTBEAT_FRAME);
    this.started = true;
    writer.wroteSinceTick = false;
    if (this.intervalMs > 0) this.arm();
  }
}
