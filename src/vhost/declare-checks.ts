import { randomBytes } from 'node:crypto';
import { AmqpError } from '../protocol/amqp-error';
import type { FieldTable } from '../protocol/field-table';
import { ReplyCode } from '../protocol/generated/amqp';
import { ArgumentError, DEFAULT_SETTINGS, parseQueueArguments, type QueueSettings } from '../queue/arguments';
import type { Exchange } from '../exchange/exchange';
import { Queue } from '../queue/queue';
import type { Binding, Destination } from './bindings';
import { describeValue, printValue, resourceName } from './texts';
import type { QueueDeclare } from './types';

/**
 * The checks a declaration goes through, with RabbitMQ's reply codes and texts: argument parsing, quorum rules,
 * equivalence of a re-declaration, exclusive locks; and the store records of definitions.
 */

/** Queue arguments RabbitMQ compares when a queue is re-declared; others are accepted as they come. */
export const EQUIVALENCE_CHECKED_QUEUE_ARGS = [
  'x-expires',
  'x-message-ttl',
  'x-dead-letter-exchange',
  'x-dead-letter-routing-key',
  'x-max-length',
  'x-max-length-bytes',
  'x-max-priority',
  'x-overflow',
  'x-queue-mode',
  'x-queue-type',
  'x-single-active-consumer',
  'x-delivery-limit',
];

/** Classic-queue arguments RabbitMQ 3.10 refuses on quorum queues. */
const QUORUM_UNSUPPORTED_ARGS = ['x-max-priority', 'x-queue-mode', 'x-queue-master-locator'];

/** The queue's settings from its arguments; an invalid one is 406 with RabbitMQ's text. */
export function checkedSettings(args: FieldTable, what: string): QueueSettings {
  try {
    return parseQueueArguments(args);
  } catch (err) {
    if (err instanceof ArgumentError) throw new AmqpError(ReplyCode.PreconditionFailed, err.textFor(what));
    throw err;
  }
}

/** RabbitMQ's rules for quorum queues (Leveret runs them as classic queues, but declares them the same way). */
export function checkQuorumDeclare(req: QueueDeclare, what: string): void {
  const invalid = !req.durable ? 'non-durable' : req.exclusive ? 'exclusive-owner' : req.autoDelete ? 'auto-delete' : undefined;
  if (invalid !== undefined) throw new AmqpError(ReplyCode.PreconditionFailed, `invalid property '${invalid}' for ${what}`);
  for (const key of QUORUM_UNSUPPORTED_ARGS) {
    if (req.arguments[key] !== undefined) {
      throw new AmqpError(ReplyCode.PreconditionFailed, `invalid arg '${key}' for ${what} of queue type rabbit_quorum_queue`);
    }
  }
}

/** Stored arguments were checked when declared; a file from a more lenient version falls back to the defaults. */
export function recoveredSettings(args: FieldTable): QueueSettings {
  try {
    return parseQueueArguments(args);
  } catch {
    return DEFAULT_SETTINGS;
  }
}

/** Whether an entity belongs in the store: durable, and not an exclusive queue (those die with their connection). */
export function isPersistent(entity: Destination): boolean {
  return entity.durable && !(entity instanceof Queue && entity.exclusiveOwner !== null);
}

export function generateQueueName(): string {
  return `amq.gen-${randomBytes(16).toString('base64url')}`;
}

export function defaultExchangeError(): AmqpError {
  return new AmqpError(ReplyCode.AccessRefused, 'operation not permitted on the default exchange');
}

export function lockedError(queue: Queue): AmqpError {
  return new AmqpError(
    ReplyCode.ResourceLocked,
    `cannot obtain exclusive access to locked ${resourceName('queue', queue.name, queue.vhost)}. ` +
      'It could be originally declared on another connection or the exclusive property value does not match ' +
      'that of the original declaration.',
  );
}

export function checkField(field: string, what: string, received: string | boolean, current: string | boolean): void {
  if (received !== current) {
    throw new AmqpError(
      ReplyCode.PreconditionFailed,
      `inequivalent arg '${field}' for ${what}: received '${String(received)}' but current is '${String(current)}'`,
    );
  }
}

export function checkArgs(keys: readonly string[], what: string, received: FieldTable, current: FieldTable): void {
  for (const key of keys) {
    const a = received[key];
    const b = current[key];
    if (a === undefined && b === undefined) continue;
    if (a !== undefined && b !== undefined && sameValue(a, b)) continue;
    // RabbitMQ prints bare values when both sides have one, typed values against 'none'.
    const both = a !== undefined && b !== undefined;
    const got = both ? `'${printValue(a)}'` : describeValue(a);
    const had = both ? `'${printValue(b)}'` : describeValue(b);
    throw new AmqpError(
      ReplyCode.PreconditionFailed,
      `inequivalent arg '${key}' for ${what}: received ${got} but current is ${had}`,
    );
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === 'bigint' || typeof b === 'bigint') return String(a) === String(b);
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  if (Buffer.isBuffer(a) || Buffer.isBuffer(b)) return String(a) === String(b);
  return a === b;
}

export function exchangeRecord(exchange: Exchange) {
  return {
    vhost: exchange.vhost,
    name: exchange.name,
    type: exchange.type.name,
    durable: exchange.durable,
    autoDelete: exchange.autoDelete,
    internal: exchange.internal,
    arguments: exchange.arguments,
  };
}

export function bindingRecord(vhost: string, binding: Binding) {
  return {
    vhost,
    source: binding.source.name,
    destination: binding.destination.name,
    destinationKind: binding.destinationKind,
    routingKey: binding.routingKey,
    arguments: binding.arguments,
  };
}
