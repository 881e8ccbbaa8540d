import type { FieldTable } from '../protocol/field-table';
import type { DelayedRecord, Store } from '../store/store';

/*
 * The broker's delayed messages (x-delayed-message exchanges): held in the Store until due, then handed to
 * `deliver`, which routes them through their exchange.
 *
 * One timer for the whole broker, armed for the earliest due time. The armed deadline is kept here, so schedule()
 * never reads the store: it writes the record and re-arms only when the new one is due earlier. When the timer
 * fires, one turn delivers up to `batch` records that are due (loadDue), each delivered first and then removed, so a
 * crash between the two delivers it again after restart (at least once, never lost). A record due before the last
 * unclean stop the store saw (Store.lastUncleanStopAt) may have been routed, and its copies delivered, by the broker
 * that stopped, in a batch that never reached disk: it is delivered with `redelivered` set, so that its entries
 * start redelivered, as stored entries do after an unclean stop. A full batch continues on
 * the next turn (setImmediate) so that other I/O runs in between; then the timer is re-armed from store.nextDue().
 * Timeouts are capped at 2^31-1 ms (Node's limit): a farther deadline fires early, finds nothing due and re-arms.
 * The timer is unref'd: delayed messages alone do not keep the process alive.
 *
 * Delivering a record that throws reports the error (options.onError) and still removes the record: a record that
 * can never be delivered must not block the ones behind it. A store that fails (STORE_IO) is retried after a pause.
 */

export interface DelayedSchedulerOptions {
  /** The clock, ms since the epoch (default Date.now). */
  now?: () => number;
  /** Records delivered per event-loop turn at most (default 1000). */
  batch?: number;
  /** Told when deliver throws (the record is removed anyway) or the store fails (retried after a pause). */
  onError?: (err: unknown, record: DelayedRecord | undefined) => void;
}

/** setTimeout's largest delay; longer ones fire at once. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;
const DEFAULT_BATCH = 1000;
const RETRY_MS = 1000;

export class DelayedScheduler {
  private readonly now: () => number;
  private readonly batch: number;
  private readonly onError: (err: unknown, record: DelayedRecord | undefined) => void;

  private timer: NodeJS.Timeout | undefined;
  /** When the armed timer fires (ms since the epoch); 0 when none is armed. */
  private armedAt = 0;
  /** A full batch was delivered: the next turn continues. */
  private continuation: NodeJS.Immediate | undefined;
  private started = false;
  private closed = false;
  /** Store.lastUncleanStopAt, read at start. */
  private uncleanStopAt = 0;

  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.armedAt = 0;
    this.run();
  };
  private readonly onContinue = (): void => {
    this.continuation = undefined;
    this.run();
  };

  constructor(
    private readonly store: Store,
    private readonly deliver: (record: DelayedRecord, redelivered: boolean) => void,
    options: DelayedSchedulerOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.batch = Math.max(1, Math.floor(options.batch ?? DEFAULT_BATCH));
    this.onError = options.onError ?? (() => undefined);
  }

  /**
   * Holds a message for `delayMs` (0 or less: due now) and returns its id. Writes the record (batched: afterCommit
   * registered after this call covers it) and re-arms the timer if it is due before the armed deadline.
   */
  schedule(
    vhost: string,
    exchange: string,
    routingKey: string,
    properties: Buffer,
    body: Buffer,
    delayMs: number,
  ): number {
    const dueAt = this.now() + (delayMs > 0 ? delayMs : 0);
    const id = this.store.nextDelayedId();
    this.store.putDelayed({ id, vhost, exchange, routingKey, properties, body, dueAt });
    if (this.started && this.continuation === undefined) this.arm(dueAt);
    return id;
  }

  /** Starts delivering (after recovery, once exchanges exist): arms for the earliest stored record. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    try {
      this.uncleanStopAt = this.store.lastUncleanStopAt();
      this.arm(this.store.nextDue());
    } catch (err) {
      this.failed(err);
    }
  }

  /** Stops delivering; records stay in the store. Does not close the store. */
  close(): void {
    this.closed = true;
    this.started = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.continuation !== undefined) clearImmediate(this.continuation);
    this.timer = undefined;
    this.continuation = undefined;
    this.armedAt = 0;
  }

  /** When the timer fires next (ms since the epoch), 0 when it is not armed; for tests and metrics. */
  get armedDeadline(): number {
    return this.armedAt;
  }

  // ---- internals ----

  /** Arms the timer for `dueAt` unless it is 0 (nothing) or already armed no later. */
  private arm(dueAt: number): void {
    if (dueAt === 0 || !this.started) return;
    if (this.armedAt !== 0 && this.armedAt <= dueAt) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    const now = this.now();
    const wait = Math.min(Math.max(dueAt - now, 0), MAX_TIMEOUT_MS);
    this.armedAt = wait === MAX_TIMEOUT_MS ? now + wait : dueAt;
    this.timer = setTimeout(this.onTimer, wait);
    this.timer.unref();
  }

  /** One turn: delivers up to `batch` due records, then continues next turn or re-arms. */
  private run(): void {
    if (!this.started) return;
    let due: DelayedRecord[];
    try {
      due = this.store.loadDue(this.now(), this.batch);
    } catch (err) {
      this.failed(err);
      return;
    }
    for (let i = 0; i < due.length; i++) {
      const record = due[i]!;
      try {
        this.deliver(record, record.dueAt <= this.uncleanStopAt);
      } catch (err) {
        this.onError(err, record);
      }
      try {
        this.store.removeDelayed(record.id);
      } catch (err) {
        this.failed(err);
        return;
      }
    }
    if (due.length === this.batch) {
      this.continuation = setImmediate(this.onContinue);
      return;
    }
    try {
      this.arm(this.store.nextDue());
    } catch (err) {
      this.failed(err);
    }
  }

  /** The store failed: report it and try again after a pause. */
  private failed(err: unknown): void {
    this.onError(err, undefined);
    if (!this.started) return;
    this.arm(this.now() + RETRY_MS);
  }
}

/** Delays above this are not delayed by the plugin (Erlang's largest timer): the message is routed at once. */
export const MAX_DELAY_MS = 4_294_967_295;

/**
 * The x-delay header of a message, in ms, as the delayed-message plugin reads it (rabbit_delayed_message_utils):
 * an integer; a float or double truncated; a string (or byte array) of decimal digits, optionally signed. Anything
 * else, absent, <= 0 or above MAX_DELAY_MS means "route now", returned as 0.
 */
export function delayOf(headers: FieldTable | undefined): number {
  if (headers === undefined || !Object.prototype.hasOwnProperty.call(headers, 'x-delay')) return 0;
  const value = headers['x-delay'];
  let ms: number;
  if (typeof value === 'number') ms = Math.trunc(value);
  else if (typeof value === 'bigint') ms = value > 0n && value <= BigInt(MAX_DELAY_MS) ? Number(value) : 0;
  else if (typeof value === 'string') ms = integerText(value);
  else if (Buffer.isBuffer(value)) ms = integerText(value.toString('latin1'));
  else return 0;
  return ms > 0 && ms <= MAX_DELAY_MS ? ms : 0;
}

const INTEGER_TEXT = /^[+-]?[0-9]+$/;

function integerText(text: string): number {
  return INTEGER_TEXT.test(text) ? Number(text) : 0;
}
