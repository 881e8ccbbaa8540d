import type { Exchange } from '../exchange/exchange';
import type { RoutingSubject } from '../exchange/router';
import { deadLetterProperties, isDeadLetterCycle, publishedRoutingKeys, type DeathReason } from '../queue/dead-letter';
import { Deque } from '../util/deque';
import { headersOf, type Message } from '../queue/message';
import type { Queue } from '../queue/queue';

/** Dead-letter copies delivered per event-loop turn before the rest wait for the next one (a few ms of work). */
const BUDGET_PER_TURN = 512;
/**
 * Copies waiting beyond which further ones are dropped. Only a cascade (copies whose enqueue makes their targets
 * dead-letter again) makes copies wait at all; a mesh of queues overflowing into each other through one fanout
 * exchange multiplies them at every hop, and this bound is what keeps its total work finite in practice.
 */
export const MAX_PENDING_DEAD_LETTERS = 10_000;
/** ...and at most this many bytes of them (properties and bodies): copies of large messages weigh more than 10,000. */
export const MAX_PENDING_DEAD_LETTER_BYTES = 64 * 1024 * 1024;
/**
 * Copies one dead-lettering may cause in all, its cascade included. A mesh of overflowing queues multiplies copies at
 * every hop, without end in practice (the fuzzer's mesh made 400,000 in a few minutes from a handful of publishes,
 * into a queue nobody read); real topologies make a few.
 */
export const MAX_COPIES_PER_CASCADE = 1000;

/** What the pipeline needs from its vhost. */
export interface DeadLetterHost {
  exchange(name: string): Exchange | undefined;
  route(exchange: Exchange, subject: RoutingSubject, out: Set<object>, visited: Set<Exchange>, scratch: Set<object>): void;
  /** An exception while dead-lettering one copy (a bug), contained. */
  error(err: unknown, queue: string): void;
  /** Copies were dropped because MAX_PENDING_DEAD_LETTERS were waiting (reported at most once a turn). */
  overflowed(dropped: number): void;
}

/** The copies still allowed to the dead-lettering a job descends from. */
interface Cascade {
  remaining: number;
}

interface Job {
  readonly cascade: Cascade;
  readonly copy: Message;
  readonly exchange: string;
  readonly from: string;
  /** Lets the dead queue forget its stored original, once the copy is in its targets (or dropped). */
  readonly release: (() => void) | undefined;
}

/**
 * Dead-lettering as a work list instead of recursion. A copy enqueued into its targets can make them overflow and
 * dead-letter in turn (queues with x-max-length dead-lettering into each other, through fanout exchanges): done
 * recursively, that cascade ran in one event-loop turn and could fan out far enough to stall the broker. Here each
 * copy is a job: a dead-lettering that happens while jobs run only adds a job, jobs run first in, first out, at most
 * BUDGET_PER_TURN per turn, and the rest wait for the next turn (other connections run between). RabbitMQ's cycle rule
 * still ends every cycle. A single dead-lettering (a reject, an expiry) is delivered at once, as before.
 *
 * The dead queue lets go of its stored original only when the job is done (release), so a crash in between
 * duplicates a dead-lettered message rather than losing it, even when its job waited for a later turn.
 */
export class DeadLetters {
  private readonly jobs = new Deque<Job>();
  /** The job being delivered: a dead-lettering it causes belongs to its cascade. */
  private current: Job | undefined;
  /** Properties and body bytes of the waiting jobs. */
  private pendingBytes = 0;
  private running = false;
  /** Jobs run in this event-loop turn; set back to 0 by nextTurn. */
  private spent = 0;
  private turnScheduled = false;
  private droppedThisTurn = 0;
  // Per-copy scratch for routing, reused.
  private readonly targets = new Set<object>();
  private readonly visited = new Set<Exchange>();
  private readonly scratch = new Set<object>();
  private readonly nextTurn = (): void => {
    this.turnScheduled = false;
    this.spent = 0;
    if (this.jobs.length > 0) this.run();
  };

  constructor(private readonly host: DeadLetterHost) {}

  get pending(): number {
    return this.jobs.length;
  }

  /**
   * `message` left `queue` for `reason`: its copy, with the x-death history updated, goes to the queue's dead-letter
   * exchange, routed with the dead-letter routing key or else the keys it was published with. Called before the
   * queue lets go of the stored original; `release` does that once the copy is delivered.
   */
  deadLetter(queue: Queue, message: Message, reason: DeathReason, release?: () => void): void {
    const exchangeName = queue.settings.deadLetterExchange;
    if (exchangeName === undefined || this.host.exchange(exchangeName) === undefined) {
      release?.();
      return;
    }
    const cascade = this.current?.cascade ?? { remaining: MAX_COPIES_PER_CASCADE };
    const size = message.properties.length + message.body.length;
    if (
      cascade.remaining <= 0 ||
      this.jobs.length >= MAX_PENDING_DEAD_LETTERS ||
      this.pendingBytes + size > MAX_PENDING_DEAD_LETTER_BYTES
    ) {
      release?.();
      if (this.droppedThisTurn++ === 0) queueMicrotask(() => this.reportDropped());
      return;
    }
    const keys = message.routingKeys ?? publishedRoutingKeys(message, headersOf(message));
    const deadLetterKey = queue.settings.deadLetterRoutingKey;
    const copy: Message = {
      id: 0,
      persistent: message.persistent,
      exchange: exchangeName,
      routingKey: deadLetterKey ?? message.routingKey,
      properties: deadLetterProperties(message, queue.name, reason, keys, Date.now()),
      body: message.body,
      expiration: -1,
      headers: undefined,
      routingKeys: deadLetterKey === undefined ? keys : [deadLetterKey],
    };
    cascade.remaining--;
    this.jobs.push({ cascade, copy, exchange: exchangeName, from: queue.name, release });
    this.pendingBytes += copy.properties.length + copy.body.length;
    if (!this.running) this.run();
  }

  /**
   * Runs jobs, the ones they add included, while this turn's budget lasts (it is shared by every caller in the turn:
   * an expiry pass dead-letters thousands of entries, each of which calls here); the rest run on the next turns.
   */
  private run(): void {
    if (!this.turnScheduled) {
      this.turnScheduled = true;
      setImmediate(this.nextTurn);
    }
    this.running = true;
    try {
      while (this.spent < BUDGET_PER_TURN) {
        const job = this.jobs.shift();
        if (job === undefined) break;
        this.spent++;
        this.pendingBytes -= job.copy.properties.length + job.copy.body.length;
        this.current = job;
        try {
          this.deliver(job);
        } catch (err) {
          this.host.error(err, job.from);
        } finally {
          this.current = undefined;
          job.release?.();
        }
      }
    } finally {
      this.running = false;
    }
  }

  private deliver(job: Job): void {
    const exchange = this.host.exchange(job.exchange);
    if (exchange === undefined) return;
    const copy = job.copy;
    const headers = headersOf(copy);
    const subject: { routingKey: string; headers(): typeof headers } = { routingKey: '', headers: () => headers };
    const { targets, visited, scratch } = this;
    targets.clear();
    for (const routingKey of copy.routingKeys as readonly string[]) {
      visited.clear();
      subject.routingKey = routingKey;
      this.host.route(exchange, subject, targets, visited, scratch);
    }
    // Copied first: enqueueing can add jobs, and a job that runs later reuses this set.
    const queues = [...targets] as Queue[];
    targets.clear();
    for (const target of queues) {
      if (isDeadLetterCycle(headers, target.name)) continue;
      target.enqueue(copy);
    }
  }

  private reportDropped(): void {
    const dropped = this.droppedThisTurn;
    this.droppedThisTurn = 0;
    if (dropped > 0) this.host.overflowed(dropped);
  }
}
