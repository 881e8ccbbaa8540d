/**
 * What the clients of one crash-soak round know about each message they published, and the check of what a
 * restarted broker gives back against it.
 *
 * A message is named by its body, `<round>.<publisher>.<n>` (n counts per publisher, across the queues it publishes
 * to). What the clients know:
 *  - confirmed: the broker confirmed it, so it is on disk;
 *  - delivered: a consumer received it (and so the broker sent it);
 *  - acked: the consumer acked it;
 *  - durable (ack): the ack is provably on disk. The consumer makes a synchronous round trip on its channel after
 *    acking (the broker handles a channel's methods in order, so the acks were handled when the reply comes) and
 *    notes the global publish counter; group commit is in order, so the commit-confirm of a message published after
 *    that (any publisher: one store, one commit order) proves those acks committed. Only the delayed queue's
 *    confirms are commit-confirms for certain: a message every queue has acked before its write went is confirmed
 *    without a write (issue 18), which proves nothing about earlier acks, while a held delayed message is always
 *    written before its confirm.
 *
 * The rules after kill -9 and restart, per queue:
 *  - lost: confirmed, not acked, not back;
 *  - duplicated: back more than once;
 *  - out of order: back after a later message of the same publisher (FIFO queues; per priority in a priority
 *    queue; none in the delayed queue, whose order is its due times');
 *  - resurrected: back although its ack was durable;
 *  - missing redelivered: delivered before the kill, back, and without redelivered=true.
 * An ack the broker received but that is not provably durable may or may not have committed: such a message may
 * legitimately come back (counted as `ackUncommittedBack`, not a failure); so may an unconfirmed message
 * (`unconfirmedBack`). A message nobody published (`unknown`) is a failure.
 */

export type QueueKind = 'fifo' | 'ttl' | 'priority' | 'delayed';

export interface Sent {
  queue: string;
  kind: QueueKind;
  publisher: number;
  n: number;
  priority: number;
  /** Global publish counter when it was published (across publishers), for the durable-ack proof. */
  g: number;
  confirmed: boolean;
  delivered: boolean;
  acked: boolean;
  durable: boolean;
}

export interface Back {
  id: string;
  redelivered: boolean;
}

export interface Counts {
  lost: number;
  duplicated: number;
  outOfOrder: number;
  resurrected: number;
  missingRedelivered: number;
  unknown: number;
}

export interface Figures extends Counts {
  published: number;
  confirmed: number;
  delivered: number;
  acked: number;
  durablyAcked: number;
  /** Delivered and never acked when the broker was killed. */
  heldUnacked: number;
  recovered: number;
  ackUncommittedBack: number;
  unconfirmedBack: number;
}

export const FAILURES: readonly (keyof Counts)[] = ['lost', 'duplicated', 'outOfOrder', 'resurrected', 'missingRedelivered', 'unknown'];

export function zeroFigures(): Figures {
  return {
    published: 0,
    confirmed: 0,
    delivered: 0,
    acked: 0,
    durablyAcked: 0,
    heldUnacked: 0,
    recovered: 0,
    ackUncommittedBack: 0,
    unconfirmedBack: 0,
    lost: 0,
    duplicated: 0,
    outOfOrder: 0,
    resurrected: 0,
    missingRedelivered: 0,
    unknown: 0,
  };
}

export function addFigures(into: Figures, f: Figures): void {
  for (const k of Object.keys(into) as (keyof Figures)[]) into[k] += f[k];
}

export function failureCount(f: Counts): number {
  return FAILURES.reduce((sum, k) => sum + f[k], 0);
}

export class Ledger {
  readonly sent = new Map<string, Sent>();
  /** The next global publish number. */
  g = 0;
  /** Acks whose round trip completed, waiting for a confirm of a message published at or after `mark`. */
  private readonly barriers: Array<{ mark: number; ids: string[] }> = [];

  constructor(readonly round: number) {}

  publish(queue: string, kind: QueueKind, publisher: number, n: number, priority: number): string {
    const id = `${this.round}.${publisher}.${n}`;
    this.sent.set(id, { queue, kind, publisher, n, priority, g: this.g++, confirmed: false, delivered: false, acked: false, durable: false });
    return id;
  }

  confirm(id: string): void {
    const s = this.sent.get(id);
    if (s === undefined) return;
    s.confirmed = true;
    if (s.kind !== 'delayed') return; // may have been confirmed without a commit (see the module comment)
    while (this.barriers.length > 0 && s.g >= this.barriers[0]!.mark) {
      for (const a of this.barriers.shift()!.ids) this.sent.get(a)!.durable = true;
    }
  }

  deliver(id: string): Sent | undefined {
    const s = this.sent.get(id);
    if (s !== undefined) s.delivered = true;
    return s;
  }

  ack(id: string): void {
    const s = this.sent.get(id);
    if (s !== undefined) s.acked = true;
  }

  /** The round trip after these acks completed: the next confirm of a message published from now on proves them. */
  acksHandled(ids: string[]): void {
    if (ids.length > 0) this.barriers.push({ mark: this.g, ids });
  }

  /** Checks what came back, queue by queue in delivery order, against what the clients know. */
  check(back: ReadonlyMap<string, readonly Back[]>): { figures: Figures; problems: string[] } {
    const f = zeroFigures();
    const problems: string[] = [];
    const note = (what: string): void => {
      if (problems.length < 20) problems.push(what);
    };
    for (const s of this.sent.values()) {
      f.published++;
      if (s.confirmed) f.confirmed++;
      if (s.delivered) f.delivered++;
      if (s.acked) f.acked++;
      if (s.durable) f.durablyAcked++;
      if (s.delivered && !s.acked) f.heldUnacked++;
    }
    const seen = new Set<string>();
    for (const [queue, list] of back) {
      const lastN = new Map<string, number>();
      for (const m of list) {
        f.recovered++;
        const s = this.sent.get(m.id);
        if (s === undefined || s.queue !== queue) {
          f.unknown++;
          note(`${queue}: ${m.id} was never published to it`);
          continue;
        }
        if (seen.has(m.id)) {
          f.duplicated++;
          note(`${queue}: ${m.id} back twice`);
          continue;
        }
        seen.add(m.id);
        if (s.durable) {
          f.resurrected++;
          note(`${queue}: ${m.id} back although its ack was on disk`);
        } else if (s.acked) f.ackUncommittedBack++;
        if (!s.confirmed) f.unconfirmedBack++;
        if (s.delivered && !m.redelivered) {
          f.missingRedelivered++;
          note(`${queue}: ${m.id} was delivered before the kill but came back with redelivered=false`);
        }
        if (s.kind !== 'delayed') {
          const stream = s.kind === 'priority' ? `${s.publisher}/${s.priority}` : String(s.publisher);
          const prev = lastN.get(stream);
          if (prev !== undefined && s.n < prev) {
            f.outOfOrder++;
            note(`${queue}: ${m.id} came after ${this.round}.${s.publisher}.${prev}`);
          }
          lastN.set(stream, Math.max(prev ?? -1, s.n));
        }
      }
    }
    for (const [id, s] of this.sent) {
      if (s.confirmed && !s.acked && !seen.has(id)) {
        f.lost++;
        note(`${s.queue}: ${id} confirmed, never acked, not back`);
      }
    }
    return { figures: f, problems };
  }
}
