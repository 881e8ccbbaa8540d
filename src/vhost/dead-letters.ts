import type { Exchange } from '../exchange/exchange';
import type { FieldTable, FieldValue } from '../protocol/field-table';
import { readFieldValue } from '../protocol/field-table';
import { headersBytes, tableValue } from '../protocol/property-list';
import { deadLetterProperties, isDeadLetterCycle, type DeathReason } from '../queue/dead-letter';
import type { Message } from '../queue/message';
import type { Queue } from '../queue/queue';
import { Deque } from '../util/deque';
import type { Publisher, PublisherOptions } from './publish';

/**
 * Work a turn may do: a copy costs one unit, plus one per 4 KiB of properties (they are copied, edited and partly
 * decoded), so a turn of copies with 128 KiB of headers each stays as short as a turn of small ones.
 */
const BUDGET_PER_TURN = 512;
const BYTES_PER_UNIT = 4096;
/**
 * Copies waiting beyond which a cascade's further ones (copies whose enqueue made their targets dead-letter again) are
 * dropped. A death a client or a timer caused is never dropped: it only waits, holding a message its queue held.
 */
export const MAX_PENDING_DEAD_LETTERS = 10_000;
/** Waiting copies from which expiry holds back (Queue.expireDue), so it does not outrun dead-lettering. */
const CONGESTED_AT = 2 * BUDGET_PER_TURN;
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
  /** The time of a death (its x-death entry's), ms since the epoch. */
  now(): number;
  /** A publish pipeline of the vhost (publish.ts): copies go through it as any publish does. */
  publisher(options: PublisherOptions): Publisher;
  /** An exception while dead-lettering one copy (a bug), contained. */
  error(err: unknown, queue: string): void;
  /** Copies were dropped because a bound was reached (reported at most once a turn). */
  overflowed(dropped: number): void;
}

/** The copies still allowed to the dead-lettering a job descends from. */
interface Cascade {
  remaining: number;
}

/** One death: everything needed to make and route its copy later, as it was when the message died. */
interface Job {
  readonly cascade: Cascade;
  readonly message: Message;
  readonly queue: string;
  readonly reason: DeathReason;
  /** When it died (the x-death time). */
  readonly at: number;
  readonly exchange: string;
  readonly deadLetterKey: string | undefined;
  /** Lets the dead queue forget its stored original, once the copy is in its targets (or dropped). */
  readonly release: (() => void) | undefined;
}

/**
 * Dead-lettering as a work list instead of recursion. A copy enqueued into its targets can make them overflow and
 * dead-letter in turn (queues with x-max-length dead-lettering into each other, through fanout exchanges): done
 * recursively, that cascade ran in one event-loop turn and could fan out far enough to stall the broker. Here each
 * death is a job, made into its copy and routed when it runs: a dead-lettering that happens while jobs run only adds
 * a job, jobs run first in, first out, within a budget per event-loop turn shared by everything that dead-letters in
 * that turn, and the rest wait for the next turn (other connections run between). RabbitMQ's cycle rule still ends
 * every cycle. A single dead-lettering (a reject, an expiry) is delivered at once, as before.
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
  /** Work done in this event-loop turn (BUDGET_PER_TURN units); set back to 0 by nextTurn. */
  private spent = 0;
  private turnScheduled = false;
  private droppedThisTurn = 0;
  /** The x-death of the copy being published: a target it already died in for this cycle does not take it. */
  private deaths: FieldTable = {};
  private readonly publisher: Publisher;
  private readonly nextTurn = (): void => {
    this.turnScheduled = false;
    this.spent = 0;
    if (this.jobs.length > 0) this.run();
  };

  constructor(private readonly host: DeadLetterHost) {
    this.publisher = host.publisher({ admit: (queue) => !isDeadLetterCycle(this.deaths, queue.name) });
  }

  get pending(): number {
    return this.jobs.length;
  }

  /** Enough copies wait that a timer which dead-letters in bulk (expiry) should let them go first. */
  get congested(): boolean {
    return this.jobs.length >= CONGESTED_AT;
  }

  /**
   * `message` left `queue` for `reason`: its copy, with the x-death history updated, goes to the queue's dead-letter
   * exchange, routed with the dead-letter routing key or else the keys it was published with. Called before the
   * queue lets go of the stored original; `release` does that once the copy is delivered.
   */
  deadLetter(queue: Queue, message: Message, reason: DeathReason, release?: () => void): void {
    const exchange = queue.settings.deadLetterExchange;
    if (exchange === undefined || this.host.exchange(exchange) === undefined) {
      release?.();
      return;
    }
    const parent = this.current;
    const cascade = parent?.cascade ?? { remaining: MAX_COPIES_PER_CASCADE };
    const size = weight(message);
    if (
      parent !== undefined &&
      (cascade.remaining <= 0 ||
        this.jobs.length >= MAX_PENDING_DEAD_LETTERS ||
        this.pendingBytes + size > MAX_PENDING_DEAD_LETTER_BYTES)
    ) {
      release?.();
      if (this.droppedThisTurn++ === 0) queueMicrotask(() => this.reportDropped());
      return;
    }
    cascade.remaining--;
    this.jobs.push({
      cascade,
      message,
      queue: queue.name,
      reason,
      at: this.host.now(),
      exchange,
      deadLetterKey: queue.settings.deadLetterRoutingKey,
      release,
    });
    this.pendingBytes += size;
    if (!this.running) this.run();
  }

  /** Runs jobs, the ones they add included, while this turn's budget lasts; the rest run on the next turns. */
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
        this.pendingBytes -= weight(job.message);
        this.spent += 1 + Math.floor(job.message.properties.length / BYTES_PER_UNIT);
        this.current = job;
        try {
          this.deliver(job);
        } catch (err) {
          this.host.error(err, job.queue);
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
    const message = job.message;
    const keys = message.routingKeys ?? [message.routingKey, ...senderKeys(message.properties)];
    const copy: Message = {
      id: 0,
      persistent: message.persistent,
      exchange: job.exchange,
      routingKey: job.deadLetterKey ?? message.routingKey,
      properties: deadLetterProperties(message, job.queue, job.reason, keys, job.at),
      body: message.body,
      expiration: -1,
      headers: undefined,
      routingKeys: job.deadLetterKey === undefined ? keys : [job.deadLetterKey],
    };
    this.deaths = { 'x-death': headerValue(copy.properties, 'x-death') ?? null };
    this.publisher.publish(exchange, copy);
  }

  private reportDropped(): void {
    const dropped = this.droppedThisTurn;
    this.droppedThisTurn = 0;
    if (dropped > 0) this.host.overflowed(dropped);
  }
}

function weight(message: Message): number {
  return message.properties.length + message.body.length;
}

/** One top-level header decoded on its own (the properties were checked at publish), or undefined. */
function headerValue(properties: Buffer, key: string): FieldValue | undefined {
  const value = tableValue(headersBytes(properties), key);
  if (value === undefined) return undefined;
  try {
    return readFieldValue(value, 0, value.length).value;
  } catch {
    return undefined;
  }
}

/** The CC header's keys (longstr items), the routing keys a message was published with besides its own. */
function senderKeys(properties: Buffer): string[] {
  const cc = headerValue(properties, 'CC');
  const out: string[] = [];
  if (Array.isArray(cc)) for (const key of cc) if (typeof key === 'string') out.push(key);
  return out;
}
