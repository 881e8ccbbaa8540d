/**
 * Fixtures for the queue feature tests (expiry, limits, priorities, redelivery, single active consumer, x-expires):
 * queues built from arguments as the vhost builds them (parseQueueArguments), on a hand-moved clock, with hooks that
 * record dead-lettering and unused calls. Dead-lettering is observed through the hooks (the vhost's rewrite and
 * routing are tested elsewhere).
 */
import type { FieldTable } from '../../protocol/field-table';
import { decodeBasicProperties, encodeBasicProperties, type BasicProperties } from '../../protocol/generated/amqp';
import type { Clock } from '../../util/clock';
import { HandClock } from '../../test-support/hand-clock';
import { parseQueueArguments } from '../arguments';
import type { DeathReason } from '../dead-letter';
import type { Message, QueueEntry } from '../message';
import { Queue } from '../queue';
import type { QueueHooks } from '../queue-options';

export interface Death {
  readonly body: string;
  readonly reason: DeathReason;
  readonly queue: string;
  /** The queue's clock reading when it dead-lettered the message. */
  readonly at: number;
  readonly message: Message;
}

/** Hooks that record dead-lettering and unused calls, stamped with `clock`. */
export class Recorder implements QueueHooks {
  readonly deaths: Death[] = [];
  readonly unusedAt: number[] = [];

  constructor(private readonly clock: Clock) {}

  unused(): void {
    this.unusedAt.push(this.clock.now());
  }

  deadLetter(queue: Queue, message: Message, reason: DeathReason, release?: () => void): void {
    this.deaths.push({ body: message.body.toString(), reason, queue: queue.name, at: this.clock.now(), message });
    release?.();
  }

  get summary(): Array<[string, DeathReason]> {
    return this.deaths.map((d) => [d.body, d.reason]);
  }
}

export const DLX: FieldTable = { 'x-dead-letter-exchange': 'dlx' };

const made: Queue[] = [];

/** Destroys every queue makeQueue made (call it in afterEach), so no timer outlives its test. */
export function destroyMadeQueues(): void {
  for (const q of made.splice(0)) if (!q.deleted) q.destroy();
}

/** A transient queue with `args`, on its own hand clock (time stands still until the test moves it). */
export function makeQueue(args: FieldTable = {}): { q: Queue; hooks: Recorder; clock: HandClock } {
  const clock = new HandClock();
  const hooks = new Recorder(clock);
  const q = new Queue(
    { vhost: '/', name: 'q', durable: false, autoDelete: false, exclusiveOwner: null, arguments: args, settings: parseQueueArguments(args), clock },
    hooks,
  );
  made.push(q);
  return { q, hooks, clock };
}

/** Keeps a queue made elsewhere in the list destroyMadeQueues empties. */
export function destroyAfterTest(q: Queue): void {
  made.push(q);
}

export function msg(body: string, props: BasicProperties = {}): Message {
  return {
    id: 0,
    persistent: false,
    exchange: '',
    routingKey: 'q',
    properties: encodeBasicProperties(props),
    body: Buffer.from(body),
    expiration: props.expiration === undefined ? -1 : Number(props.expiration),
    headers: undefined,
  };
}

/** A message with the expiration property `ms`. */
export function expiring(body: string, ms: number): Message {
  return msg(body, { expiration: String(ms) });
}

/** basic.get with noAck until empty; the bodies. */
export function takeAll(q: Queue): string[] {
  const out: string[] = [];
  for (let e = q.take(true); e !== undefined; e = q.take(true)) out.push(e.message.body.toString());
  return out;
}

export function headersOf(entry: QueueEntry): FieldTable | undefined {
  const props = entry.message.properties;
  return decodeBasicProperties(props, 0, props.length).headers;
}
