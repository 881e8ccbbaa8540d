import type { StoredEntry } from '../store/store';
import type { Clock, Timer } from '../util/clock';
import { ExpiryHeap } from './expiry-heap';
import type { QueueFigures } from './figures';
import { EntryState, storedMessageProblem, type QueueEntry } from './message';
import type { Pager } from './paging';

/** Expired entries handled per timer turn before yielding. */
const EXPIRY_BUDGET = 2048;
/** How long a timer whose work threw waits before it tries again (no busy loop on a persistent fault). */
export const RETRY_AFTER_ERROR_MS = 1000;
/** The longest delay a platform timer takes. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** What expiry asks of its queue. */
export interface ExpiryHost {
  /** True once the queue was deleted: nothing expires any more. */
  readonly deleted: boolean;
  /** False once the queue was deleted or stopped: no timer is armed again. */
  readonly armable: boolean;
  readonly figures: QueueFigures;
  /** Takes a ready entry (already out of its list, bytes uncounted) out of the queue for `reason`. */
  drop(entry: QueueEntry, reason: 'expired'): void;
  /** A stored entry that cannot be delivered leaves the store for the quarantine. */
  unreadable(record: StoredEntry, problem: string): void;
  /** Enough dead-letter copies wait that expiry should let them go first (it resumes on a later turn). */
  deadLetterCongested(): boolean;
  /** Reports an exception from the timer's work; true when the work should be tried again later. */
  contained(err: unknown, during: string): boolean;
  /** A turn of expiry ended: publishers paused by flow control may be relieved. */
  expiryTurnEnded(): void;
}

/**
 * Message expiry by deadline (x-message-ttl, the expiration property): entries with one sit in a min-heap, and one
 * timer per queue targets the earliest deadline, in memory or (a lower bound the pager keeps) in the stored tail.
 */
export class Expiry {
  private readonly heap = new ExpiryHeap();
  private timer: Timer | undefined;
  private timerAt = 0;
  private readonly fire = (): void => {
    this.timer = undefined;
    this.timerAt = 0;
    try {
      this.expireDue();
    } catch (err) {
      if (this.host.contained(err, 'expiry') && this.host.armable) this.armAt(this.clock.now() + RETRY_AFTER_ERROR_MS, RETRY_AFTER_ERROR_MS);
    }
  };

  constructor(
    private readonly clock: Clock,
    private readonly pager: Pager,
    private readonly host: ExpiryHost,
  ) {}

  /** An entry with a deadline is in memory now. */
  track(entry: QueueEntry): void {
    this.heap.push(entry);
    if (this.heap.size >= 1024) this.heap.compact(this.pager.inMemory);
  }

  /** Every ready entry left the queue. */
  clear(): void {
    this.heap.clear();
  }

  /** Stops the timer for good (the queue was deleted or stopped). */
  stop(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** (Re)arms the queue's one expiry timer for the earliest deadline in memory or in the stored tail. */
  arm(): void {
    if (!this.host.armable) return;
    const inMemory = this.heap.nextDeadline();
    const tail = this.pager.tailNextExpiry;
    const next = inMemory === 0 ? tail : tail === 0 ? inMemory : Math.min(inMemory, tail);
    if (next === 0) {
      if (this.timer !== undefined) {
        this.clock.clearTimeout(this.timer);
        this.timer = undefined;
        this.timerAt = 0;
      }
      return;
    }
    if (this.timer !== undefined && this.timerAt <= next) return;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.armAt(next, Math.min(Math.max(0, next - this.clock.now()), MAX_TIMER_MS));
  }

  private armAt(at: number, ms: number): void {
    this.timerAt = at;
    this.timer = this.clock.setTimeout(this.fire, ms);
    this.timer.unref?.();
  }

  /** Expires every entry whose deadline has passed, wherever it is, within a budget per turn. */
  private expireDue(): void {
    const host = this.host;
    if (host.deleted) return;
    const now = this.clock.now();
    let budget = EXPIRY_BUDGET;
    // Expired entries go to the dead-letter exchange as fast as it takes them, not faster: a million expiring at
    // once must not pile up as copies waiting (dead-letters.ts), nor be loaded from the store all at once.
    for (;;) {
      if (host.deadLetterCongested()) {
        budget = 0;
        break;
      }
      const entry = this.heap.popDue(now);
      if (entry === undefined) break;
      if (entry.state !== EntryState.Ready) continue;
      this.pager.removed(entry);
      host.figures.readyOut(entry.message);
      host.drop(entry, 'expired');
      if (--budget === 0) break;
    }
    if (budget > 0 && host.deadLetterCongested()) budget = 0;
    const tail = this.pager.tailNextExpiry;
    if (budget > 0 && tail !== 0 && tail <= now) {
      const due = this.pager.takeExpired(now, budget);
      for (const record of due) this.expireStored(record);
      budget -= due.length;
    }
    if (budget === 0) this.armAt(now, 0);
    else this.arm();
    host.expiryTurnEnded();
  }

  /** A stored tail entry passed its deadline (the pager's tail figures already let it go): it is dropped. */
  private expireStored(record: StoredEntry): void {
    const problem = storedMessageProblem(record.message);
    if (problem !== undefined) {
      this.host.unreadable(record, problem);
      return;
    }
    const entry = this.pager.fromStore(record, 0);
    this.host.figures.readyOut(entry.message);
    this.host.drop(entry, 'expired');
  }
}

/** x-expires: the queue is deleted after a period without use (no consumers, no declare, no basic.get). */
export class IdleTimer {
  private timer: Timer | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly expired: () => void,
  ) {}

  /** Restarts the period of `expires` ms (undefined: none), or stops it while `inUse`. */
  restart(expires: number | undefined, inUse: boolean): void {
    if (expires === undefined) return;
    this.stop();
    if (inUse) return;
    this.timer = this.clock.setTimeout(this.fire, Math.min(expires, MAX_TIMER_MS));
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.expired();
  };
}
