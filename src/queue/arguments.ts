import { parseDedupArguments } from '../dedup/dedup';
import { fieldTypeName, type FieldTable, type FieldValue } from '../protocol/field-table';

/** What a queue does when a publish would take it past x-max-length or x-max-length-bytes. */
export type Overflow = 'drop-head' | 'reject-publish' | 'reject-publish-dlx';

/**
 * The queue arguments that change behaviour, checked and converted once at declare time. Absent numbers are
 * undefined (no limit, no TTL).
 */
export interface QueueSettings {
  /** x-message-ttl, ms. */
  readonly messageTtl: number | undefined;
  /** x-expires, ms without use before the queue is deleted. */
  readonly expires: number | undefined;
  readonly maxLength: number | undefined;
  readonly maxLengthBytes: number | undefined;
  readonly overflow: Overflow;
  readonly deadLetterExchange: string | undefined;
  readonly deadLetterRoutingKey: string | undefined;
  /** x-max-priority, 1..255; undefined for a plain FIFO queue. */
  readonly maxPriority: number | undefined;
  readonly singleActiveConsumer: boolean;
  /** x-delivery-limit: returns a message may take before it is dead-lettered (reason delivery_limit). */
  readonly deliveryLimit: number | undefined;
  /** x-consumer-timeout, ms; undefined means the broker's default. */
  readonly consumerTimeout: number | undefined;
  /** x-queue-type quorum: redeliveries carry x-delivery-count, as RabbitMQ's quorum queues do. */
  readonly quorum: boolean;
}

export const DEFAULT_SETTINGS: QueueSettings = {
  messageTtl: undefined,
  expires: undefined,
  maxLength: undefined,
  maxLengthBytes: undefined,
  overflow: 'drop-head',
  deadLetterExchange: undefined,
  deadLetterRoutingKey: undefined,
  maxPriority: undefined,
  singleActiveConsumer: false,
  deliveryLimit: undefined,
  consumerTimeout: undefined,
  quorum: false,
};

/** Largest x-max-priority RabbitMQ accepts. */
export const MAX_PRIORITY = 255;
/** RabbitMQ's bound on TTLs and expiry periods (rabbit_misc:check_expiry). */
const MAX_EXPIRY_MS = 315_360_000_000;

const OVERFLOW_MODES: readonly Overflow[] = ['drop-head', 'reject-publish', 'reject-publish-dlx'];
const QUEUE_TYPES = ['classic', 'quorum'];
const QUEUE_MODES = ['default', 'lazy'];

/**
 * An invalid argument. `reason` is what RabbitMQ prints for it (an Erlang term or a quoted text) after
 * "invalid arg 'key' for queue 'q' in vhost 'v': "; `typeOnly` errors use RabbitMQ's other shape,
 * "invalid type 't' for arg 'key' in queue 'q' in vhost 'v'".
 */
export class ArgumentError extends Error {
  constructor(
    readonly key: string,
    readonly reason: string,
    readonly typeOnly = false,
    /** The reason is the whole text (LavinMQ's de-duplication arguments). */
    readonly verbatim = false,
  ) {
    super(`invalid arg '${key}': ${reason}`);
  }

  /** The full text for the queue described by `what` ("queue 'q' in vhost '/'"). */
  textFor(what: string): string {
    if (this.verbatim) return this.reason;
    if (this.typeOnly) return `invalid type '${this.reason}' for arg '${this.key}' in ${what}`;
    return `invalid arg '${this.key}' for ${what}: ${this.reason}`;
  }
}

/**
 * Checks the arguments RabbitMQ checks, in RabbitMQ's terms (rabbit_amqqueue's declare_args validators), and
 * returns the settings they describe. Throws ArgumentError for the first invalid one.
 */
export function parseQueueArguments(args: FieldTable): QueueSettings {
  const messageTtl = expiryArg(args, 'x-message-ttl', false);
  const expires = expiryArg(args, 'x-expires', true);
  const maxLength = nonNegativeIntArg(args, 'x-max-length');
  const maxLengthBytes = nonNegativeIntArg(args, 'x-max-length-bytes');
  const maxPriority = nonNegativeIntArg(args, 'x-max-priority');
  if (maxPriority !== undefined && maxPriority > MAX_PRIORITY) {
    throw new ArgumentError('x-max-priority', `{max_value_exceeded,${maxPriority}}`);
  }
  const overflow = enumArg(args, 'x-overflow', OVERFLOW_MODES, () => 'invalid_overflow') ?? 'drop-head';
  const dlx = args['x-dead-letter-exchange'];
  if (dlx !== undefined && typeof dlx !== 'string') {
    throw new ArgumentError('x-dead-letter-exchange', fieldTypeName(dlx), true);
  }
  const deadLetterExchange = stringArg(args, 'x-dead-letter-exchange');
  const deadLetterRoutingKey = stringArg(args, 'x-dead-letter-routing-key');
  if (deadLetterRoutingKey !== undefined && deadLetterExchange === undefined) {
    throw new ArgumentError('x-dead-letter-routing-key', 'routing_key_but_no_dlx_defined');
  }
  const sac = args['x-single-active-consumer'];
  if (sac !== undefined && typeof sac !== 'boolean') {
    throw new ArgumentError('x-single-active-consumer', `{unacceptable_type,${fieldTypeName(sac)}}`);
  }
  const queueType = enumArg(args, 'x-queue-type', QUEUE_TYPES, (v) => `"unsupported queue type '${v}'"`);
  enumArg(args, 'x-queue-mode', QUEUE_MODES, (v) => `"unsupported queue mode '${v}'"`);
  // RabbitMQ 3.10's quorum queues take any x-delivery-limit without checking it; a value that is not a
  // non-negative integer then sets no limit.
  const deliveryLimit =
    queueType === 'quorum' ? lenient(() => nonNegativeIntArg(args, 'x-delivery-limit')) : nonNegativeIntArg(args, 'x-delivery-limit');
  const consumerTimeout = nonNegativeIntArg(args, 'x-consumer-timeout');
  const dedup = parseDedupArguments(args);
  if (typeof dedup === 'string') throw new ArgumentError('x-message-deduplication', dedup, false, true);
  return {
    messageTtl,
    expires,
    maxLength,
    maxLengthBytes,
    overflow,
    deadLetterExchange,
    deadLetterRoutingKey,
    maxPriority: maxPriority === 0 ? undefined : maxPriority,
    singleActiveConsumer: sac === true,
    deliveryLimit,
    consumerTimeout,
    quorum: queueType === 'quorum',
  };
}

function lenient(parse: () => number | undefined): number | undefined {
  try {
    return parse();
  } catch {
    return undefined;
  }
}

function integerOf(key: string, value: FieldValue): number {
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  throw new ArgumentError(key, `"expected integer, got ${fieldTypeName(value)}"`);
}

function nonNegativeIntArg(args: FieldTable, key: string): number | undefined {
  const value = args[key];
  if (value === undefined) return undefined;
  const n = integerOf(key, value);
  if (n < 0) throw new ArgumentError(key, `{value_negative,${n}}`);
  return n;
}

function expiryArg(args: FieldTable, key: string, zeroInvalid: boolean): number | undefined {
  const value = args[key];
  if (value === undefined) return undefined;
  const n = integerOf(key, value);
  if (zeroInvalid && n === 0) throw new ArgumentError(key, `{value_zero,${n}}`);
  if (n < 0) throw new ArgumentError(key, `{value_negative,${n}}`);
  if (n > MAX_EXPIRY_MS) throw new ArgumentError(key, `{value_too_large,${n}}`);
  return n;
}

function stringArg(args: FieldTable, key: string): string | undefined {
  const value = args[key];
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  throw new ArgumentError(key, `{unacceptable_type,${fieldTypeName(value)}}`);
}

function enumArg<T extends string>(
  args: FieldTable,
  key: string,
  allowed: readonly T[],
  invalid: (value: string) => string,
): T | undefined {
  const value = stringArg(args, key);
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new ArgumentError(key, invalid(value));
  return value as T;
}
