/**
 * What the ha-test's clients did and saw, and the final count.
 *
 * A message is named by its id, `p<publisher>.<n>` (the AMQP message-id). A publisher that re-publishes an
 * unconfirmed message after a reconnect sends a new copy of it, `<id>#<attempt>` in the body: two copies of one id
 * are a duplicate the client made (it cannot know the first was stored), and the broker rightly delivers each copy
 * without the redelivered flag the first time. The same copy delivered twice is the broker delivering again what
 * it may have delivered before, and then the flag must be set.
 *
 * The count, at the end (after every queue was drained):
 *  - published: ids published; confirmed: ids with at least one copy confirmed;
 *  - received: ids delivered at least once;
 *  - lost: confirmed, never delivered;
 *  - duplicates: deliveries beyond the first of an id (redeliveries of a copy + other copies of it);
 *  - unexpected: a delivery of a copy nobody published, or on a queue it was not published to;
 *  - missingRedelivered: a delivery of a copy delivered before, with redelivered=false (must be 0);
 *  - unconfirmedAtEnd: ids never confirmed although the publishers kept re-publishing them until the end;
 *  - returned: copies the broker returned as unroutable (a queue missing after a failover).
 * Every publish, confirm and delivery is also written, a line each, to files in the run's directory.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';

interface IdState {
  queue: string;
  attempts: number;
  /** The fault (see duplicatesPerFault) last begun when the latest copy was published. */
  lastPublishFault: number;
  /** Date.now() of the first confirm of any copy; 0 while unconfirmed. */
  confirmedAt: number;
  received: number;
}

export interface LedgerCounts {
  published: number;
  publishedCopies: number;
  confirmed: number;
  received: number;
  deliveries: number;
  lost: number;
  duplicates: number;
  /** Duplicates that were the same copy again (redelivered). */
  redeliveries: number;
  /** Duplicates that were another copy of the id (a re-publish). */
  republishedCopies: number;
  unexpected: number;
  missingRedelivered: number;
  /**
   * Deliveries of an id delivered before (any copy) with redelivered=false: missingRedelivered plus first deliveries
   * of re-published copies, which are new messages to the broker. Informational.
   */
  idAgainWithoutFlag: number;
  unconfirmedAtEnd: number;
  returned: number;
}

export interface LedgerCheck {
  counts: LedgerCounts;
  /** A few examples of each failure, for the report. */
  examples: string[];
}

interface Waiter {
  after: number;
  resolve: (confirmedAt: number | undefined) => void;
}

const EXAMPLES_PER_KIND = 5;

export class Ledger {
  private readonly ids = new Map<string, IdState>();
  /** Per copy (`id#attempt`): deliveries, the fault last begun at the last one, and whether it was still under way. */
  private readonly copies = new Map<string, { n: number; fault: number; during: boolean }>();
  /** A fault has begun and no publisher has had a confirm since. */
  private during = false;
  private deliveries = 0;
  private publishedCopies = 0;
  private unexpected = 0;
  private missingRedelivered = 0;
  private idAgainWithoutFlag = 0;
  private returned = 0;
  /** A few examples per kind of failure. */
  private readonly examples = new Map<string, string[]>();
  private waiters: Waiter[] = [];
  /** Date.now() of the last confirm and the last delivery. */
  lastConfirmAt = 0;
  /**
   * Duplicate deliveries per fault that caused them: [0] before the first fault (none expected), [k] the k-th fault.
   * A copy delivered again is charged to the fault that lost the ack of its previous delivery: the fault under way
   * then (from the fault to the first confirm after it: an isolated old leader may deliver until it steps down),
   * else the next one. Another copy of a delivered id is charged to the fault under way or last begun
   * when it was re-published. With a backlog a duplicate may arrive faults later; it is still charged to its cause.
   */
  readonly duplicatesPerFault: number[] = [0];
  lastDeliveryAt = 0;
  private readonly out: { published: WriteStream; confirmed: WriteStream; delivered: WriteStream } | undefined;

  constructor(readonly dir: string | undefined) {
    this.out =
      dir === undefined
        ? undefined
        : {
            published: createWriteStream(join(dir, 'published.log')),
            confirmed: createWriteStream(join(dir, 'confirmed.log')),
            delivered: createWriteStream(join(dir, 'delivered.log')),
          };
  }

  private example(kind: string, what: string): void {
    let list = this.examples.get(kind);
    if (list === undefined) this.examples.set(kind, (list = []));
    if (list.length < EXAMPLES_PER_KIND) list.push(`${kind}: ${what}`);
  }

  /** A publisher sent copy `attempt` of `id` to `queue`. */
  publish(id: string, attempt: number, queue: string, t: number): void {
    let s = this.ids.get(id);
    if (s === undefined) {
      s = { queue, attempts: 0, lastPublishFault: 0, confirmedAt: 0, received: 0 };
      this.ids.set(id, s);
    }
    s.attempts = Math.max(s.attempts, attempt + 1);
    s.lastPublishFault = this.duplicatesPerFault.length - 1;
    this.publishedCopies++;
    this.out?.published.write(`${t} ${id}#${attempt} ${queue}\n`);
  }

  /** The broker confirmed copy `attempt` of `id`, published at `publishedAt`. */
  confirm(id: string, attempt: number, publishedAt: number, t: number): void {
    const s = this.ids.get(id);
    if (s !== undefined && s.confirmedAt === 0) s.confirmedAt = t;
    this.lastConfirmAt = t;
    this.out?.confirmed.write(`${t} ${id}#${attempt} published ${publishedAt}\n`);
    if (this.waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (publishedAt >= w.after) w.resolve(t);
      else still.push(w);
    }
    this.waiters = still;
  }

  /** The broker returned copy `attempt` of `id` as unroutable. */
  returnedCopy(id: string, attempt: number, t: number): void {
    this.returned++;
    this.example('returned', `${id}#${attempt} returned unroutable at ${new Date(t).toISOString()}`);
  }

  isConfirmed(id: string): boolean {
    return (this.ids.get(id)?.confirmedAt ?? 0) > 0;
  }

  /** A consumer got copy `attempt` of `id` from `queue` (logged before it acks). */
  deliver(id: string, attempt: number, queue: string, redelivered: boolean, consumer: number, t: number): void {
    this.deliveries++;
    this.lastDeliveryAt = t;
    this.out?.delivered.write(`${t} ${id}#${attempt} ${queue} c${consumer}${redelivered ? ' redelivered' : ''}\n`);
    const key = `${id}#${attempt}`;
    const s = this.ids.get(id);
    if (s === undefined || attempt >= s.attempts || s.queue !== queue) {
      this.unexpected++;
      this.example('unexpected', `${key} from ${queue}${s === undefined ? ' (never published)' : ` (published ${s.attempts} copies to ${s.queue})`}`);
      return;
    }
    const now = this.duplicatesPerFault.length - 1;
    const copy = this.copies.get(key);
    const before = copy?.n ?? 0;
    if (s.received > 0) {
      const cause = copy === undefined ? s.lastPublishFault : copy.during ? copy.fault : Math.min(copy.fault + 1, now);
      this.duplicatesPerFault[cause]!++;
      if (!redelivered) this.idAgainWithoutFlag++;
    }
    s.received++;
    this.copies.set(key, { n: before + 1, fault: now, during: this.during });
    if (before > 0 && !redelivered) {
      this.missingRedelivered++;
      this.example('missing redelivered', `${key} delivered ${before + 1} times, this time with redelivered=false (c${consumer})`);
    }
  }

  /** A fault begins: later duplicates are counted against it. */
  markFault(): void {
    this.duplicatesPerFault.push(0);
    this.during = true;
  }

  /** The fault is over: a publisher had a confirm again (or the failover timed out). */
  markRecovered(): void {
    this.during = false;
  }

  /** Resolves with the time of the first confirm of a copy published at or after `after`, or undefined on timeout. */
  waitConfirmAfter(after: number, timeoutMs: number): Promise<number | undefined> {
    return new Promise((resolve) => {
      const w: Waiter = {
        after,
        resolve: (t: number | undefined) => {
          clearTimeout(timer);
          resolve(t);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        resolve(undefined);
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  check(): LedgerCheck {
    const c: LedgerCounts = {
      published: this.ids.size,
      publishedCopies: this.publishedCopies,
      confirmed: 0,
      received: 0,
      deliveries: this.deliveries,
      lost: 0,
      duplicates: 0,
      redeliveries: 0,
      republishedCopies: 0,
      unexpected: this.unexpected,
      missingRedelivered: this.missingRedelivered,
      idAgainWithoutFlag: this.idAgainWithoutFlag,
      unconfirmedAtEnd: 0,
      returned: this.returned,
    };
    for (const [id, s] of this.ids) {
      if (s.confirmedAt > 0) c.confirmed++;
      else c.unconfirmedAtEnd++;
      if (s.received > 0) c.received++;
      if (s.received > 1) c.duplicates += s.received - 1;
      if (s.confirmedAt > 0 && s.received === 0) {
        c.lost++;
        this.example('lost', `${id} (${s.queue}) confirmed at ${new Date(s.confirmedAt).toISOString()}, never delivered`);
      }
    }
    for (const { n } of this.copies.values()) if (n > 1) c.redeliveries += n - 1;
    c.republishedCopies = c.duplicates - c.redeliveries;
    return { counts: c, examples: [...this.examples.values()].flat() };
  }

  async close(): Promise<void> {
    for (const w of this.waiters) w.resolve(undefined);
    this.waiters = [];
    if (this.out === undefined) return;
    await Promise.all(Object.values(this.out).map((s: WriteStream) => new Promise<void>((resolve) => s.end(() => resolve()))));
  }
}
