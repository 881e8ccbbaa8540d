/**
 * leveret-perf's command line: PerfTest's flag names where PerfTest has them (-x, -y, -s, -u, -e, -t, -k, -a, -q,
 * -f, -c, -r, -z, -C, -D, -p, --queue-pattern*), long forms beside them; --routing-keys is our own. parseArgs never exits: it returns options or throws UsageError
 * with a one-line message (main prints it and exits 2).
 */

export interface PerfOptions {
  uri: string;
  producers: number;
  consumers: number;
  /** Body size in bytes; the first 8 carry the send time when size >= 8. */
  size: number;
  queue: string;
  /** '' is the default exchange (no declare, no bind). */
  exchange: string;
  exchangeType: string;
  /** Defaults to the queue name (with --queue-pattern: each producer's queue). */
  routingKey: string;
  /** No -k: the routing (and binding) key is the queue's name, each queue's own with --queue-pattern. */
  routingKeyIsQueue: boolean;
  /** Routing keys the producers use in turn (--routing-keys); empty: routingKey alone. */
  routingKeys: string[];
  /** 'name-%d' with %d replaced by queuePatternFrom..queuePatternTo; '' = the single queue above. */
  queuePattern: string;
  queuePatternFrom: number;
  queuePatternTo: number;
  /** Declare nothing: the queues (and exchange, bindings) exist already. */
  predeclared: boolean;
  autoAck: boolean;
  /** basic.qos prefetch-count for manual-ack consumers; 0 = unlimited. */
  prefetch: number;
  persistent: boolean;
  mandatory: boolean;
  /** Publisher confirms window (outstanding unconfirmed messages per producer); 0 = no confirms. */
  confirm: number;
  /** Manual ack: one basic.ack multiple=true every N deliveries (0 or 1: ack each). */
  multiAckEvery: number;
  /** Messages per second per producer; 0 = as fast as possible. */
  rate: number;
  /** Run time in seconds; 0 = until the counts are reached or SIGINT. */
  time: number;
  /** Messages each producer publishes; 0 = unlimited. */
  producerCount: number;
  /** Messages each consumer takes; 0 = unlimited. */
  consumerCount: number;
  json: boolean;
  help: boolean;
}

export class UsageError extends Error {}

export const DEFAULTS: PerfOptions = {
  uri: 'amqp://guest:guest@localhost:5672',
  producers: 1,
  consumers: 1,
  size: 16,
  queue: 'leveret-perf',
  exchange: '',
  exchangeType: 'direct',
  routingKey: '',
  routingKeyIsQueue: true,
  routingKeys: [],
  queuePattern: '',
  queuePatternFrom: 1,
  queuePatternTo: 1,
  predeclared: false,
  autoAck: false,
  prefetch: 0,
  persistent: false,
  mandatory: false,
  confirm: 0,
  multiAckEvery: 0,
  rate: 0,
  time: 0,
  producerCount: 0,
  consumerCount: 0,
  json: false,
  help: false,
};

type IntKey =
  | 'producers'
  | 'consumers'
  | 'size'
  | 'prefetch'
  | 'confirm'
  | 'multiAckEvery'
  | 'rate'
  | 'time'
  | 'producerCount'
  | 'consumerCount'
  | 'queuePatternFrom'
  | 'queuePatternTo';
type StrKey = 'uri' | 'queue' | 'exchange' | 'exchangeType' | 'routingKey' | 'queuePattern';

interface Flag {
  short?: string;
  long: string;
  arg?: string;
  help: string;
  key: IntKey | StrKey | 'routingKeys' | 'flag' | 'autoAck' | 'predeclared' | 'json' | 'help';
}

export const FLAGS: readonly Flag[] = [
  { short: '-x', long: '--producers', arg: 'N', key: 'producers', help: 'producer connections (default 1)' },
  { short: '-y', long: '--consumers', arg: 'N', key: 'consumers', help: 'consumer connections (default 1)' },
  { short: '-s', long: '--size', arg: 'BYTES', key: 'size', help: 'message body size (default 16; >= 8 carries a send time)' },
  { short: '-u', long: '--queue', arg: 'NAME', key: 'queue', help: 'queue to declare and consume (default leveret-perf)' },
  { short: '-e', long: '--exchange', arg: 'NAME', key: 'exchange', help: "exchange to publish to (default '': the default exchange)" },
  { short: '-t', long: '--type', arg: 'TYPE', key: 'exchangeType', help: 'exchange type when -e is given (default direct)' },
  { short: '-k', long: '--routing-key', arg: 'KEY', key: 'routingKey', help: 'routing key and binding key (default: the queue name)' },
  { long: '--routing-keys', arg: 'K1,K2,...', key: 'routingKeys', help: 'routing keys used in turn, message by message (overrides -k for publishing)' },
  { long: '--queue-pattern', arg: 'PATTERN', key: 'queuePattern', help: "several queues: 'name-%d', %d from --queue-pattern-from to --queue-pattern-to" },
  { long: '--queue-pattern-from', arg: 'N', key: 'queuePatternFrom', help: 'first %d of --queue-pattern (default 1)' },
  { long: '--queue-pattern-to', arg: 'N', key: 'queuePatternTo', help: 'last %d of --queue-pattern; -y consumers and -x producers in total, round-robin over the queues' },
  { short: '-p', long: '--predeclared', key: 'predeclared', help: 'declare nothing: queues, exchange and bindings exist' },
  { short: '-a', long: '--autoack', key: 'autoAck', help: 'consumers use auto-ack (default: manual ack)' },
  { short: '-q', long: '--qos', arg: 'N', key: 'prefetch', help: 'prefetch count for manual-ack consumers (default 0: unlimited)' },
  { short: '-f', long: '--flag', arg: 'FLAG', key: 'flag', help: 'persistent | mandatory (repeatable)' },
  { short: '-c', long: '--confirm', arg: 'N', key: 'confirm', help: 'publisher confirms with N outstanding per producer (default 0: off)' },
  { short: '-A', long: '--multi-ack-every', arg: 'N', key: 'multiAckEvery', help: 'manual ack: one multiple ack every N deliveries' },
  { short: '-r', long: '--rate', arg: 'N', key: 'rate', help: 'msg/s per producer (default 0: as fast as possible)' },
  { short: '-z', long: '--time', arg: 'SECONDS', key: 'time', help: 'run time in seconds (default 0: until counts or Ctrl-C)' },
  { short: '-C', long: '--pmessages', arg: 'N', key: 'producerCount', help: 'messages per producer (default 0: unlimited)' },
  { short: '-D', long: '--cmessages', arg: 'N', key: 'consumerCount', help: 'messages per consumer (default 0: unlimited)' },
  { short: '-h', long: '--uri', arg: 'URI', key: 'uri', help: 'broker URI (default amqp://guest:guest@localhost:5672)' },
  { long: '--json', key: 'json', help: 'print JSON lines instead of text' },
  { long: '--help', key: 'help', help: 'this list' },
];

function findFlag(name: string): Flag | undefined {
  for (const f of FLAGS) if (f.short === name || f.long === name) return f;
  return undefined;
}

function parseInt10(flag: string, value: string): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`${flag} needs a non-negative integer, got '${value}'`);
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new UsageError(`${flag} is too large: ${value}`);
  return n;
}

export function parseArgs(argv: readonly string[]): PerfOptions {
  const o: PerfOptions = { ...DEFAULTS };
  let routingKeySet = false;
  for (let i = 0; i < argv.length; i++) {
    let name = argv[i]!;
    let inline: string | undefined;
    const eq = name.startsWith('--') ? name.indexOf('=') : -1;
    if (eq > 0) {
      inline = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    const flag = findFlag(name);
    if (flag === undefined) throw new UsageError(`unknown flag '${name}' (see --help)`);
    let value: string | undefined;
    if (flag.arg !== undefined) {
      value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`${name} needs a value (${flag.arg})`);
    } else if (inline !== undefined) {
      throw new UsageError(`${name} takes no value`);
    }
    switch (flag.key) {
      case 'autoAck':
      case 'predeclared':
      case 'json':
      case 'help':
        o[flag.key] = true;
        break;
      case 'flag':
        if (value === 'persistent') o.persistent = true;
        else if (value === 'mandatory') o.mandatory = true;
        else throw new UsageError(`${name} takes persistent or mandatory, got '${value}'`);
        break;
      case 'uri':
      case 'queue':
      case 'exchange':
      case 'exchangeType':
      case 'routingKey':
      case 'queuePattern':
        o[flag.key] = value!;
        if (flag.key === 'routingKey') routingKeySet = true;
        break;
      case 'routingKeys':
        o.routingKeys = value!.split(',');
        if (o.routingKeys.some((k) => Buffer.byteLength(k) > 255)) throw new UsageError(`${name}: a routing key is at most 255 bytes`);
        break;
      default:
        o[flag.key] = parseInt10(name, value!);
    }
  }
  if (o.queuePattern !== '') {
    if (!o.queuePattern.includes('%d')) throw new UsageError(`--queue-pattern needs a %d, got '${o.queuePattern}'`);
    if (o.queuePatternTo < o.queuePatternFrom) {
      throw new UsageError(`--queue-pattern-to (${o.queuePatternTo}) is below --queue-pattern-from (${o.queuePatternFrom})`);
    }
    if (o.queuePatternTo - o.queuePatternFrom >= 10_000) throw new UsageError('--queue-pattern: at most 10000 queues');
    o.queue = queueNames(o)[0]!;
  }
  o.routingKeyIsQueue = !routingKeySet;
  if (!routingKeySet) o.routingKey = o.queue;
  if (!/^amqp:\/\//.test(o.uri)) throw new UsageError(`--uri must start with amqp:// (TLS is not supported), got '${o.uri}'`);
  if (o.producers === 0 && o.consumers === 0) throw new UsageError('nothing to do: -x 0 and -y 0');
  if (o.queue === '') throw new UsageError('-u needs a queue name');
  if (queueNames(o).some((q) => Buffer.byteLength(q) > 255) || Buffer.byteLength(o.routingKey) > 255 || Buffer.byteLength(o.exchange) > 255) {
    throw new UsageError('queue, exchange and routing key are at most 255 bytes');
  }
  if (o.prefetch > 65535) throw new UsageError(`-q is at most 65535, got ${o.prefetch}`);
  return o;
}

/** The queues of a run: --queue-pattern's names in order, or -u alone. */
export function queueNames(o: PerfOptions): string[] {
  if (o.queuePattern === '') return [o.queue];
  const names: string[] = [];
  for (let i = o.queuePatternFrom; i <= o.queuePatternTo; i++) names.push(o.queuePattern.replaceAll('%d', String(i)));
  return names;
}

/**
 * Options for the i-th producer or consumer (0-based): with --queue-pattern, queue i modulo the queue count, and
 * (without -k) that queue's name as the routing key; otherwise the options as they are.
 */
export function forClient(o: PerfOptions, i: number): PerfOptions {
  if (o.queuePattern === '') return o;
  const names = queueNames(o);
  const queue = names[i % names.length]!;
  return { ...o, queue, routingKey: o.routingKeyIsQueue ? queue : o.routingKey };
}

export function helpText(): string {
  const lines = ['usage: leveret-perf [flags]', ''];
  for (const f of FLAGS) {
    const names = `${f.short !== undefined ? `${f.short}, ` : '    '}${f.long}${f.arg !== undefined ? ` ${f.arg}` : ''}`;
    lines.push(`  ${names.padEnd(32)} ${f.help}`);
  }
  return lines.join('\n');
}

export interface AmqpUri {
  host: string;
  port: number;
  user: string;
  password: string;
  vhost: string;
}

/** amqp://user:pass@host:port/vhost; an empty path is vhost '/'. */
export function parseUri(uri: string): AmqpUri {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    throw new UsageError(`bad --uri '${uri}'`);
  }
  const path = u.pathname.replace(/^\//, '');
  return {
    host: u.hostname === '' ? 'localhost' : u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port === '' ? 5672 : Number(u.port),
    user: u.username === '' ? 'guest' : decodeURIComponent(u.username),
    password: u.password === '' ? 'guest' : decodeURIComponent(u.password),
    vhost: path === '' ? '/' : decodeURIComponent(path),
  };
}
