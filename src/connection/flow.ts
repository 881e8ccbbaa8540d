import type { Logger } from 'pino';
import type { PublishFlow } from '../channel/ports';
import { MethodId } from '../protocol/generated/amqp';
import type { Queue } from '../queue/queue';
import type { FlowListener } from '../queue/queue-options';
import type { Clock, Timer } from '../util/clock';
import type { Transport } from './transport';
import type { FrameWriter } from './writer';

/** Longest a congested queue pauses a publishing connection before one more read is let through. */
const THROTTLE_MAX_MS = 250;
/** RabbitMQ's send_timeout: output over the limit with no byte taken by the peer for this long closes the socket. */
const SEND_TIMEOUT_MS = 15_000;

/** What flow control needs from its connection. */
export interface FlowHost {
  /** connection.open succeeded and the connection is not closing. */
  readonly isOpen: boolean;
  /** The socket is ended or gone. */
  readonly isClosed: boolean;
  readonly logger: Logger;
  /** The client announced the connection.blocked capability: it is told when a resource alarm blocks it. */
  readonly blockedNotify: boolean;
  /** Some channel of the connection has a consumer (its acks must flow: it is never throttled). */
  hasConsumers(): boolean;
  /** Handles the frames buffered while input was held. */
  readFrames(): void;
  /** Runs `work` so that what it throws closes the connection instead of the process. */
  guarded(work: () => void): void;
}

/**
 * When a connection reads its socket: not while a congested queue throttles it as a publisher (RabbitMQ's credit
 * flow), not while its output is over the writer's limit (input held), not once it published during a resource
 * alarm (blocked); and when output stays over the limit with no progress for the send timeout, the socket goes.
 *
 * Resource alarms, as RabbitMQ's reader: while one is in effect a connection is "blocking"; the first publish it
 * sends blocks it (that method is handled, nothing more is read or handled), and a client that announced the
 * connection.blocked capability gets connection.blocked with the reason. A connection that only consumes never
 * publishes, so it keeps running (its acks flow). When every alarm has cleared, the connection is unblocked, and
 * told so if it was told it was blocked.
 */
export class FlowControl implements PublishFlow, FlowListener {
  /**
   * True while output is over the writer's limit: no more frames are handled (the rest stay buffered in the reader)
   * and the socket is not read, so a client that does not read cannot make its requests (basic.get, publishes that
   * come back as basic.return, ...) pile replies up in the broker. Released on 'drain'.
   */
  inputHeld = false;
  /** No frame is handled now: input held, or blocked by a resource alarm. The frame loop reads only this. */
  readingStopped = false;
  /** The reason of the resource alarm in effect ("low on memory"); undefined when none is. */
  alarmReason: string | undefined;
  /** The connection published during a resource alarm and is blocked (RabbitMQ's "blocked"; before: "blocking"). */
  alarmBlocked = false;
  /** connection.blocked went out; connection.unblocked follows when the alarms clear. */
  private blockedSent = false;
  /** Congested queues this connection's reading is paused for. */
  private readonly throttledBy = new Set<Queue>();
  private throttleTimer: Timer | undefined;
  private sendTimer: Timer | undefined;
  /** The socket's queued bytes when the send watch started: fewer at its end is progress. */
  private sendMark = 0;
  private readonly resumeAfterTimeout = (): void => this.host.guarded(() => this.resumeReading());
  private readonly checkHeldInput = (): void =>
    this.host.guarded(() => {
      if (this.inputHeld && this.writer.queuedBytes <= this.writer.limit) this.releaseInput();
      else if (this.inputHeld) this.watchSend();
    });
  private readonly checkSendProgress = (): void => this.host.guarded(() => this.sendProgressDue());

  constructor(
    private readonly host: FlowHost,
    private readonly socket: Transport,
    private readonly writer: FrameWriter,
    private readonly clock: Clock,
    private readonly sendTimeoutMs = SEND_TIMEOUT_MS,
  ) {}

  /**
   * Flow control, like RabbitMQ's credit flow for publishers: reading stops while a queue this connection publishes
   * into is congested. A connection that also consumes is never paused (its acks must flow, or the queue could never
   * drain), and a pause lasts at most THROTTLE_MAX_MS before one more read is allowed.
   */
  throttle(queue: Queue): void {
    if (this.throttledBy.has(queue) || !this.host.isOpen) return;
    if (this.host.hasConsumers()) return;
    this.throttledBy.add(queue);
    queue.waitForRelief(this);
    if (this.throttleTimer !== undefined) return;
    this.throttleTimer = this.clock.setTimeout(this.resumeAfterTimeout, THROTTLE_MAX_MS);
    this.updateReading();
  }

  queueRelieved(queue: Queue): void {
    this.throttledBy.delete(queue);
    if (this.throttledBy.size === 0) this.resumeReading();
  }

  /** The broker's resource alarms changed: the reason of those in effect, or undefined once all have cleared. */
  alarmsChanged(reason: string | undefined): void {
    this.alarmReason = reason;
    if (reason !== undefined || !this.alarmBlocked) return;
    this.alarmBlocked = false;
    this.readingStopped = this.inputHeld;
    if (this.blockedSent && !this.host.isClosed) this.writer.method(0, MethodId.ConnectionUnblocked, {});
    this.blockedSent = false;
    this.updateReading();
    // The frames read before the block (the rest of the publish that blocked it) are handled now.
    if (!this.readingStopped && !this.host.isClosed) this.host.readFrames();
  }

  /** A content-bearing method (basic.publish) arrived while an alarm is in effect: the connection is blocked. */
  publishReceived(): void {
    if (this.alarmBlocked || this.alarmReason === undefined || !this.host.isOpen) return;
    this.alarmBlocked = true;
    this.readingStopped = true;
    if (this.host.blockedNotify && !this.blockedSent) {
      this.writer.method(0, MethodId.ConnectionBlocked, { reason: this.alarmReason });
      this.blockedSent = true;
    }
    this.host.logger.info({ reason: this.alarmReason }, 'connection blocked by a resource alarm');
    this.updateReading();
  }

  /** The connection sent connection.close: an alarm's block no longer holds its input (the close-ok must be read). */
  closing(): void {
    if (!this.alarmBlocked) return;
    this.alarmBlocked = false;
    this.readingStopped = this.inputHeld;
    this.updateReading();
  }

  /** Output went over the limit while frames were handled: stop handling them until it drains. */
  holdInput(): void {
    this.inputHeld = true;
    this.readingStopped = true;
    this.updateReading();
    // What this turn wrote reaches the socket at the end of the turn; if the socket takes it all there is no 'drain'.
    setImmediate(this.checkHeldInput);
  }

  /** Output is over the limit: the peer must take some of it within the send timeout. */
  watchSend(): void {
    if (this.sendTimer !== undefined) return;
    this.sendMark = this.socket.writableLength;
    this.sendTimer = this.clock.setTimeout(this.checkSendProgress, this.sendTimeoutMs);
    this.sendTimer.unref?.();
  }

  /** The socket took what was queued ('drain'): no send watch; held input is handled again. */
  drained(): void {
    this.stopSendWatch();
    if (this.inputHeld && !this.host.isClosed) this.releaseInput();
  }

  stopSendWatch(): void {
    if (this.sendTimer !== undefined) this.clock.clearTimeout(this.sendTimer);
    this.sendTimer = undefined;
  }

  /** The socket is gone: no more timers. */
  stop(): void {
    if (this.throttleTimer !== undefined) this.clock.clearTimeout(this.throttleTimer);
    this.throttleTimer = undefined;
    this.stopSendWatch();
  }

  private resumeReading(): void {
    this.throttledBy.clear();
    if (this.throttleTimer === undefined) return;
    this.clock.clearTimeout(this.throttleTimer);
    this.throttleTimer = undefined;
    this.updateReading();
  }

  /** The socket is read unless a congested queue throttles this publisher, its output is over the limit, or an alarm blocks it. */
  private updateReading(): void {
    if (this.host.isClosed) return;
    if (this.readingStopped || this.throttleTimer !== undefined) this.socket.pause();
    else this.socket.resume();
  }

  private releaseInput(): void {
    this.inputHeld = false;
    this.readingStopped = this.alarmBlocked;
    this.updateReading();
    if (!this.readingStopped) this.host.readFrames();
  }

  private sendProgressDue(): void {
    this.sendTimer = undefined;
    if (this.host.isClosed || (!this.writer.blocked && !this.inputHeld)) return;
    const queued = this.socket.writableLength;
    if (queued < this.sendMark) {
      this.watchSend();
      return;
    }
    this.host.logger.warn(
      { queuedBytes: queued, sendTimeoutMs: this.sendTimeoutMs },
      'closing connection: the client has not read its socket',
    );
    this.socket.destroy();
  }
}
