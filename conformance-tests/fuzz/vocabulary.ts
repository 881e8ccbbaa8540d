/**
 * What the fuzzer talks about: the shared pools of names every attacker draws from (so one attacker's queue is
 * another's target), the argument tables RabbitMQ clients send (x-message-ttl, x-dead-letter-exchange, ...) with
 * valid, edge and wrong-typed values, the rich-mode topologies, and spec-driven arguments for any method.
 *
 * Everything is drawn from an Rng, so a (seed, connection index) pair always gives the same bytes.
 */
import { Decimal, Float32, type FieldTable, type FieldValue } from '../../src/protocol/field-table';
import { randomFieldValue, randomString, randomTable, Rng, type SpecField, type SpecMethod, specMethods } from '../../src/protocol/test-support/random';

/** A 32-bit hash of some integers: per-connection and per-purpose seeds from the run seed. */
export function mix(...xs: number[]): number {
  let h = 0x811c9dc5;
  for (const x of xs) {
    h = Math.imul(h ^ (x >>> 0), 0x01000193);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
  }
  return h >>> 0;
}

export function chance(rng: Rng, p: number): boolean {
  return rng.next() < p;
}

/** Picks by weight: [[weight, value], ...]. */
export function weighted<T>(rng: Rng, table: ReadonlyArray<readonly [number, T]>): T {
  let total = 0;
  for (const [w] of table) total += w;
  let r = rng.next() * total;
  for (const [w, v] of table) {
    r -= w;
    if (r < 0) return v;
  }
  return table[table.length - 1]![1];
}

// ---- rich-mode topologies ---------------------------------------------------------------------------------------

/**
 * A queue whose messages flow somewhere: TTL and dead-lettering, delivery limits, quorum, length limits, priorities,
 * delayed delivery, de-duplication. Each is declared identically by every attacker that uses it.
 */
export interface Topology {
  name: string;
  /** Where producers publish: an exchange bound to `queue` with routing key 'k'. */
  exchange: string;
  exchangeType: string;
  exchangeArgs: FieldTable;
  queue: string;
  queueArgs: FieldTable;
  durable: boolean;
  /** Dead-letter exchange (fanout) and the queue bound to it. */
  dlx: string;
  dead: string;
  deadArgs: FieldTable;
  persistent: boolean;
}

const TOPOLOGY_VARIANTS = [
  'ttl-dlx',
  'delivery-limit',
  'quorum',
  'max-length',
  'priority',
  'durable',
  'dlx-cycle',
  'quorum-ttl',
  'delayed',
  'dedup',
] as const;

function topology(rng: Rng, k: number): Topology {
  const variant = TOPOLOGY_VARIANTS[k % TOPOLOGY_VARIANTS.length]!;
  const name = `fz.r${k}.${variant}`;
  const t: Topology = {
    name,
    exchange: `${name}.x`,
    exchangeType: 'direct',
    exchangeArgs: {},
    queue: `${name}.q`,
    queueArgs: {},
    durable: rng.bool(),
    dlx: `${name}.dlx`,
    dead: `${name}.dead`,
    // Dead-lettered messages do not pile up for ever: the dead queue keeps a bounded, expiring backlog.
    deadArgs: { 'x-message-ttl': 500 + rng.int(3000), 'x-max-length': 200 },
    persistent: rng.bool(),
  };
  const dl: FieldTable = { 'x-dead-letter-exchange': t.dlx };
  if (rng.bool()) dl['x-dead-letter-routing-key'] = rng.pick(['dead', 'k', '']);
  switch (variant) {
    case 'ttl-dlx':
      t.queueArgs = { ...dl, 'x-message-ttl': rng.int(60), 'x-max-length': 1000 };
      break;
    case 'delivery-limit':
      t.queueArgs = { ...dl, 'x-delivery-limit': rng.int(4), 'x-max-length': 1000 };
      break;
    case 'quorum':
      t.durable = true;
      t.queueArgs = { ...dl, 'x-queue-type': 'quorum', 'x-delivery-limit': 1 + rng.int(3), 'x-max-length': 1000 };
      break;
    case 'max-length':
      t.queueArgs = { ...dl, 'x-max-length': rng.int(5), 'x-overflow': rng.pick(['drop-head', 'reject-publish', 'reject-publish-dlx']) };
      break;
    case 'priority':
      t.queueArgs = { ...dl, 'x-max-priority': rng.pick([1, 10, 255]), 'x-message-ttl': 50 + rng.int(500), 'x-max-length': 1000 };
      break;
    case 'durable':
      t.durable = true;
      t.persistent = true;
      t.queueArgs = { ...dl, 'x-max-length': 500 };
      break;
    case 'dlx-cycle':
      // queue -(ttl)-> dlx -> dead -(ttl)-> queue's exchange -> queue: RabbitMQ's cycle rule must stop it.
      t.queueArgs = { 'x-dead-letter-exchange': t.dlx, 'x-message-ttl': 5 + rng.int(30), 'x-max-length': 500 };
      t.deadArgs = { 'x-dead-letter-exchange': t.exchange, 'x-dead-letter-routing-key': 'k', 'x-message-ttl': 5 + rng.int(30), 'x-max-length': 500 };
      break;
    case 'quorum-ttl':
      t.durable = true;
      t.persistent = true;
      t.queueArgs = { ...dl, 'x-queue-type': 'quorum', 'x-message-ttl': rng.int(100), 'x-max-length': 1000 };
      break;
    case 'delayed':
      t.exchangeType = 'x-delayed-message';
      t.exchangeArgs = { 'x-delayed-type': 'direct' };
      t.queueArgs = { ...dl, 'x-max-length': 1000 };
      break;
    case 'dedup':
      t.queueArgs = { 'x-message-deduplication': true, 'x-cache-size': 1 + rng.int(100), 'x-max-length': 1000, ...dl };
      break;
  }
  return t;
}

// ---- pools ------------------------------------------------------------------------------------------------------

export interface Pools {
  queues: string[];
  exchanges: string[];
  routingKeys: string[];
  consumerTags: string[];
  topologies: Topology[];
}

/** The names all attackers of a run share; a function of the seed only. */
export function makePools(seed: number): Pools {
  const rng = new Rng(mix(seed, 0x9e37));
  const queues = ['', 'amq.gen-fuzz', 'amq.rabbitmq.reply-to', 'amq.rabbitmq.reply-to.g1AAAA', 'x'.repeat(255), 'fz.q.é日本'];
  for (let i = 0; i < 12; i++) queues.push(`fz.q.${i}`);
  const exchanges = ['', 'amq.direct', 'amq.fanout', 'amq.topic', 'amq.headers', 'amq.match', 'amq.rabbitmq.trace', 'amq.nope'];
  for (let i = 0; i < 8; i++) exchanges.push(`fz.x.${i}`);
  const topologies: Topology[] = [];
  for (let k = 0; k < 2 * TOPOLOGY_VARIANTS.length; k++) topologies.push(topology(rng, k));
  for (const t of topologies) {
    queues.push(t.queue, t.dead);
    exchanges.push(t.exchange, t.dlx);
  }
  const routingKeys = ['', 'k', 'a.b.c', '#', '*', '*.*.#', '#.#.#.#', 'a.#.b.*.c', '.', '..', 'fz.q.1', 'dead', 'x'.repeat(255)];
  routingKeys.push(`${'#.'.repeat(127)}#`, `${'*.'.repeat(127)}*`, 'é.日.本');
  const consumerTags = ['', 'ct.0', 'ct.1', 'amq.ctag-fuzz', 'x'.repeat(255)];
  return { queues, exchanges, routingKeys, consumerTags, topologies };
}

// ---- argument tables --------------------------------------------------------------------------------------------

const TTLS: FieldValue[] = [0, 1, 10, 1000, -1, 2 ** 32, 315_360_000_001, 'abc', '100', 1.5, true, null, new Float32(5), new Decimal(1, 5), 2n ** 63n - 1n, -(2n ** 63n)];
const LENGTHS: FieldValue[] = [0, 1, 2, 5, -1, 2 ** 31, 2 ** 53, 'x', 1.5, false, new Float32(NaN), 2n ** 62n];
const BOOLS: FieldValue[] = [true, false, 1, 'true', null];

const QUEUE_ARGS: ReadonlyArray<readonly [string, readonly FieldValue[]]> = [
  ['x-message-ttl', TTLS],
  ['x-expires', [1, 10, 100, 0, -5, 'x', 2 ** 40]],
  ['x-max-length', LENGTHS],
  ['x-max-length-bytes', LENGTHS],
  ['x-overflow', ['drop-head', 'reject-publish', 'reject-publish-dlx', 'nonsense', 5, '']],
  ['x-dead-letter-exchange', ['', 'fz.x.0', 'amq.fanout', 'nope', 5, { a: 1 }, Buffer.from([0xff])]],
  ['x-dead-letter-routing-key', ['', 'k', '#', 5]],
  ['x-max-priority', [0, 1, 10, 255, 256, -1, 'x', 2 ** 31]],
  ['x-queue-type', ['classic', 'quorum', 'stream', 'x', 1, '']],
  ['x-queue-mode', ['lazy', 'default', 'x']],
  ['x-single-active-consumer', BOOLS],
  ['x-delivery-limit', [0, 1, 3, -1, 'x', 2 ** 40, 1.5]],
  ['x-consumer-timeout', [0, 1, 100, -1, 'x']],
  ['x-message-deduplication', BOOLS],
  ['x-cache-size', [0, 1, -1, 'x', 2 ** 40, 10]],
  ['x-cache-ttl', [0, 1, -1, 'x', 100]],
  ['x-deduplication-header', ['h', '', 5, 'x-death']],
  ['x-quorum-initial-group-size', [1, 0, 'x']],
  ['x-queue-master-locator', ['min-masters', 5]],
  ['x-unknown', [1, 'x']],
  ['plain-key', [[1, 'a', null, [[[]]]], new Date(0)]],
];

const EXCHANGE_ARGS: ReadonlyArray<readonly [string, readonly FieldValue[]]> = [
  ['alternate-exchange', ['fz.x.1', '', 'amq.direct', 'nope', 5, Buffer.from('x')]],
  ['x-delayed-type', ['direct', 'topic', 'fanout', 'headers', 'x-delayed-message', 'nope', 5]],
  ['x-message-deduplication', BOOLS],
  ['x-cache-size', [0, 1, -1, 'x']],
  ['x-cache-ttl', [0, 1, -1, 'x']],
  ['x-deduplication-header', ['h', '', 5]],
];

const BIND_ARGS: ReadonlyArray<readonly [string, readonly FieldValue[]]> = [
  ['x-match', ['all', 'any', 'all-with-x', 'any-with-x', 'bogus', 5, '']],
  ['h', ['v', 1, null, true, 1.5, Buffer.from('v'), [1, 2]]],
  ['x-death', ['x']],
  ['k', ['', 'v']],
];

const CONSUME_ARGS: ReadonlyArray<readonly [string, readonly FieldValue[]]> = [
  ['x-priority', [0, 10, -(2 ** 31), 2 ** 31 - 1, 'x', 2 ** 40, 1.5]],
  ['x-cancel-on-ha-failover', BOOLS],
  ['x-stream-offset', ['first', 5, 'x']],
  ['x-consumer-timeout', [0, 1, 50, -1]],
];

export type ArgsKind = 'queue' | 'exchange' | 'bind' | 'consume';
const ARG_CATALOGUE: Record<ArgsKind, ReadonlyArray<readonly [string, readonly FieldValue[]]>> = {
  queue: QUEUE_ARGS,
  exchange: EXCHANGE_ARGS,
  bind: BIND_ARGS,
  consume: CONSUME_ARGS,
};

/** 0-4 arguments of the given kind, with valid, edge and wrongly typed values; sometimes a wholly random table. */
export function argumentTable(rng: Rng, kind: ArgsKind): FieldTable {
  if (chance(rng, 0.08)) return randomTable(rng);
  const catalogue = ARG_CATALOGUE[kind];
  const t: FieldTable = {};
  const n = rng.int(5);
  for (let i = 0; i < n; i++) {
    const [key, values] = rng.pick(catalogue);
    t[key] = rng.pick(values);
  }
  return t;
}

// ---- method arguments from the spec -----------------------------------------------------------------------------

export const methodsByName = new Map<string, SpecMethod>(specMethods.map((m) => [m.name, m]));

export function specMethod(name: string): SpecMethod {
  const m = methodsByName.get(name);
  if (m === undefined) throw new Error(`no method ${name} in the spec`);
  return m;
}

const EXCHANGE_TYPES = ['direct', 'fanout', 'topic', 'headers', 'x-delayed-message', 'x-consistent-hash', 'x-nope', '', 'DIRECT'];
const DELIVERY_TAGS = [0, 1, 2, 3, 5, 10, 100, 2 ** 32, 2 ** 53 - 1];
const REPLY_CODES = [200, 0, 320, 404, 406, 501, 541, 65535];

/**
 * A plausible value for one argument, by name and domain: pool names, small delivery tags, argument tables of the
 * right kind. With probability `wild` the value is random for its type instead.
 */
export function fieldValue(rng: Rng, pools: Pools, method: SpecMethod, f: SpecField, wild: number): unknown {
  if (chance(rng, wild)) return randomFieldValue(rng, f);
  switch (f.camel) {
    case 'ticket':
      return 0;
    case 'queue':
      return rng.pick(pools.queues);
    case 'exchange':
    case 'destination':
    case 'source':
      return method.name === 'exchange.declare' && chance(rng, 0.3) ? `fz.x.${rng.int(8)}` : rng.pick(pools.exchanges);
    case 'type':
      return rng.pick(EXCHANGE_TYPES);
    case 'routingKey':
      return rng.pick(pools.routingKeys);
    case 'consumerTag':
      return rng.pick(pools.consumerTags);
    case 'deliveryTag':
      return rng.pick(DELIVERY_TAGS);
    case 'noWait':
      return chance(rng, 0.15);
    case 'passive':
      return chance(rng, 0.15);
    case 'immediate':
    case 'internal':
      return chance(rng, 0.05);
    case 'arguments':
      switch (method.name) {
        case 'queue.declare':
          return argumentTable(rng, 'queue');
        case 'exchange.declare':
          return argumentTable(rng, 'exchange');
        case 'queue.bind':
        case 'queue.unbind':
        case 'exchange.bind':
        case 'exchange.unbind':
          return argumentTable(rng, 'bind');
        case 'basic.consume':
          return argumentTable(rng, 'consume');
        default:
          return {};
      }
    case 'prefetchSize':
      return chance(rng, 0.9) ? 0 : rng.int(2 ** 32);
    case 'prefetchCount':
      return rng.pick([0, 1, 2, 10, 100, 65535]);
    case 'replyCode':
      return rng.pick(REPLY_CODES);
    case 'replyText':
      return randomString(rng, 60);
    case 'classId':
    case 'methodId':
      return rng.pick([0, 10, 20, 40, 50, 60, 65535]);
    case 'virtualHost':
      return chance(rng, 0.9) ? '/' : randomString(rng, 40);
    case 'active':
      return chance(rng, 0.7);
    default:
      return randomFieldValue(rng, f);
  }
}

export function methodArgs(rng: Rng, pools: Pools, method: SpecMethod, wild: number): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const f of method.fields) args[f.camel] = fieldValue(rng, pools, method, f, wild);
  return args;
}
