/**
 * Settings loading: defaults < config file < environment < command-line flags, validated once at boot.
 *
 * Every setting is one row in FIELDS (flag, environment variables, file key, value kind), so the parser, the
 * validation messages and the --help text cannot drift apart. Errors are ConfigErrors whose message names the
 * offending source and key, e.g.
 *   invalid value "abc" for --port (from command line): expected an integer 0-65535
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  CHANNEL_MAX_MAX,
  CHANNEL_MAX_MIN,
  CONNECTION_MAX_MAX,
  DEFAULT_SETTINGS,
  FRAME_MAX_MAX,
  FRAME_MAX_MIN,
  HEARTBEAT_MAX,
  DURABILITIES,
  LOG_LEVELS,
  PORT_MAX,
  defaultSettings,
  type ConnectionMax,
  type Durability,
  type LogLevel,
  type Settings,
} from './settings';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  /**
   * @param source where the bad input came from, e.g. "command line", "environment", "config file /etc/leveret.json"
   * @param key the flag, variable or file key at fault, when there is one
   */
  constructor(
    message: string,
    readonly source?: string,
    readonly key?: string,
  ) {
    super(message);
  }
}

export interface LoadInput {
  argv: string[];
  env: NodeJS.ProcessEnv;
  /** Base for a relative --config / LEVERET_CONFIG path; defaults to process.cwd(). */
  cwd?: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Value kinds: how a raw string (flag, env) or a JSON value (file) becomes a typed value, and what was expected.

type Parsed<T> = { ok: true; value: T } | { ok: false; expected: string };

interface Kind<T> {
  fromString(raw: string): Parsed<T>;
  fromJson(value: unknown): Parsed<T>;
}

function ok<T>(value: T): Parsed<T> {
  return { ok: true, value };
}

function fail<T>(expected: string): Parsed<T> {
  return { ok: false, expected };
}

function integer(min: number, max: number, hint?: (value: number) => string | undefined): Kind<number> {
  const expected = `an integer ${min}-${max}`;
  const check = (n: number): Parsed<number> => {
    if (!Number.isSafeInteger(n)) return fail(expected);
    if (n < min || n > max) {
      const extra = hint?.(n);
      return fail(extra === undefined ? expected : `${expected} (${extra})`);
    }
    return ok(n);
  };
  return {
    fromString: (raw) => (/^\d{1,16}$/.test(raw.trim()) ? check(Number(raw.trim())) : fail(expected)),
    fromJson: (value) => (typeof value === 'number' ? check(value) : fail(expected)),
  };
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** An IP address (IPv6 may be written in brackets) or a host name; returns the address without brackets. */
function normaliseAddress(raw: string): string | undefined {
  const trimmed = raw.trim();
  const unbracketed = /^\[(.*)\]$/.exec(trimmed)?.[1] ?? trimmed;
  if (isIP(unbracketed) !== 0) return unbracketed;
  if (unbracketed === trimmed && HOSTNAME.test(trimmed)) return trimmed;
  return undefined;
}

function addressList(list: readonly string[], expected: string): Parsed<string[]> {
  const out: string[] = [];
  for (const item of list) {
    const address = normaliseAddress(item);
    if (address === undefined) return fail(expected);
    if (!out.includes(address)) out.push(address);
  }
  return out.length === 0 ? fail(expected) : ok(out);
}

const addresses: Kind<string[]> = {
  fromString: (raw) =>
    addressList(
      raw.split(',').filter((s) => s.trim() !== ''),
      'a comma-separated list of IP addresses or host names',
    ),
  fromJson: (value) =>
    Array.isArray(value) && value.every((v) => typeof v === 'string')
      ? addressList(value as string[], 'a non-empty array of IP addresses or host names')
      : fail('a non-empty array of IP addresses or host names'),
};

/** User names; "none" (or an empty string) on a flag or in the environment means the empty list. */
const userList: Kind<string[]> = {
  fromString: (raw) => {
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed === 'none') return ok([]);
    const users = trimmed.split(',').map((s) => s.trim());
    return users.every((u) => u !== '') ? ok(users) : fail('a comma-separated list of user names, or "none"');
  },
  fromJson: (value) =>
    Array.isArray(value) && value.every((v) => typeof v === 'string' && v !== '')
      ? ok([...(value as string[])])
      : fail('an array of user names'),
};

/** A non-empty string; `maxBytes` for values that travel as AMQP short strings (user, vhost). */
function text(maxBytes?: number): Kind<string> {
  const expected = maxBytes === undefined ? 'a non-empty string' : `a non-empty string of at most ${maxBytes} bytes`;
  const check = (s: string): Parsed<string> =>
    s === '' || (maxBytes !== undefined && Buffer.byteLength(s, 'utf8') > maxBytes) ? fail(expected) : ok(s);
  return {
    fromString: check,
    fromJson: (value) => (typeof value === 'string' ? check(value) : fail(expected)),
  };
}

const logLevel: Kind<LogLevel> = {
  fromString: (raw) => logLevel.fromJson(raw.trim()),
  fromJson: (value) =>
    typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value)
      ? ok(value as LogLevel)
      : fail(`one of ${LOG_LEVELS.join(', ')}`),
};

const durability: Kind<Durability> = {
  fromString: (raw) => durability.fromJson(raw.trim()),
  fromJson: (value) =>
    typeof value === 'string' && (DURABILITIES as readonly string[]).includes(value)
      ? ok(value as Durability)
      : fail(`one of ${DURABILITIES.join(', ')}`),
};

/** A connection count, or "infinity" (any case) for none, as rabbitmq.conf writes connection_max. */
const connectionMax: Kind<ConnectionMax> = (() => {
  const count = integer(0, CONNECTION_MAX_MAX);
  const expected = `an integer 0-${CONNECTION_MAX_MAX} or "infinity"`;
  const infinity = (value: unknown): boolean => typeof value === 'string' && value.trim().toLowerCase() === 'infinity';
  const either = (parsed: Parsed<number>): Parsed<ConnectionMax> => (parsed.ok ? parsed : fail(expected));
  return {
    fromString: (raw) => (infinity(raw) ? ok('infinity') : either(count.fromString(raw))),
    fromJson: (value) => (infinity(value) ? ok('infinity') : either(count.fromJson(value))),
  };
})();

// ---------------------------------------------------------------------------------------------------------------
// The settings table.

interface Field<T> {
  /** Dotted key in the config file, e.g. "amqp.port". */
  key: string;
  flag: string;
  /** Placeholder in --help. */
  meta: string;
  /** Environment variables in priority order; the first one that is set and non-empty is used. */
  env: readonly string[];
  /** Repeating the flag appends instead of replacing. */
  repeatable?: boolean;
  kind: Kind<T>;
  help: string;
  get(s: Settings): T;
  set(s: Settings, value: T): void;
}

// Declared with a helper so each row is checked against its own value type.
function field<T>(f: Field<T>): Field<unknown> {
  return f as unknown as Field<unknown>;
}

const showList = (list: readonly string[]): string => (list.length === 0 ? 'none' : list.join(','));

export const FIELDS: readonly Field<unknown>[] = [
  field({
    key: 'amqp.port',
    flag: '--port',
    meta: '<port>',
    env: ['LEVERET_AMQP_PORT', 'RABBITMQ_NODE_PORT'],
    kind: integer(0, PORT_MAX),
    help: 'AMQP port (0 = pick a free port)',
    get: (s) => s.amqp.port,
    set: (s, v) => (s.amqp.port = v),
  }),
  field({
    key: 'amqp.bind',
    flag: '--bind',
    meta: '<addr,...>',
    env: ['LEVERET_AMQP_BIND'],
    repeatable: true,
    kind: addresses,
    help: 'AMQP listen addresses; repeatable',
    get: (s) => s.amqp.bind,
    set: (s, v) => (s.amqp.bind = v),
  }),
  field({
    key: 'http.port',
    flag: '--http-port',
    meta: '<port>',
    env: ['LEVERET_HTTP_PORT'],
    kind: integer(0, PORT_MAX),
    help: 'management HTTP port (0 = pick a free port)',
    get: (s) => s.http.port,
    set: (s, v) => (s.http.port = v),
  }),
  field({
    key: 'http.bind',
    flag: '--http-bind',
    meta: '<addr,...>',
    env: ['LEVERET_HTTP_BIND'],
    repeatable: true,
    kind: addresses,
    help: 'management HTTP listen addresses; repeatable',
    get: (s) => s.http.bind,
    set: (s, v) => (s.http.bind = v),
  }),
  field({
    key: 'dataDir',
    flag: '--data-dir',
    meta: '<dir>',
    env: ['LEVERET_DATA_DIR'],
    kind: text(),
    help: 'directory for durable state (created if missing)',
    get: (s) => s.dataDir,
    set: (s, v) => (s.dataDir = v),
  }),
  field({
    key: 'defaultUser',
    flag: '--default-user',
    meta: '<name>',
    env: ['LEVERET_DEFAULT_USER', 'RABBITMQ_DEFAULT_USER'],
    kind: text(255),
    help: 'user created on first boot',
    get: (s) => s.defaultUser,
    set: (s, v) => (s.defaultUser = v),
  }),
  field({
    key: 'defaultPass',
    flag: '--default-pass',
    meta: '<password>',
    env: ['LEVERET_DEFAULT_PASS', 'RABBITMQ_DEFAULT_PASS'],
    kind: text(),
    help: "that user's password",
    get: (s) => s.defaultPass,
    set: (s, v) => (s.defaultPass = v),
  }),
  field({
    key: 'defaultVhost',
    flag: '--default-vhost',
    meta: '<vhost>',
    env: ['LEVERET_DEFAULT_VHOST', 'RABBITMQ_DEFAULT_VHOST'],
    kind: text(255),
    help: 'vhost created on first boot',
    get: (s) => s.defaultVhost,
    set: (s, v) => (s.defaultVhost = v),
  }),
  field({
    key: 'loopbackUsers',
    flag: '--loopback-users',
    meta: '<name,...|none>',
    env: ['LEVERET_LOOPBACK_USERS'],
    kind: userList,
    help: 'users allowed to connect only from loopback',
    get: (s) => s.loopbackUsers,
    set: (s, v) => (s.loopbackUsers = v),
  }),
  field({
    key: 'frameMax',
    flag: '--frame-max',
    meta: '<bytes>',
    env: ['LEVERET_FRAME_MAX'],
    kind: integer(FRAME_MAX_MIN, FRAME_MAX_MAX, (n) =>
      n === 0 ? '0, meaning "no limit", is not supported; set a size instead' : undefined,
    ),
    help: 'largest frame accepted, in bytes',
    get: (s) => s.frameMax,
    set: (s, v) => (s.frameMax = v),
  }),
  field({
    key: 'channelMax',
    flag: '--channel-max',
    meta: '<n>',
    env: ['LEVERET_CHANNEL_MAX'],
    kind: integer(CHANNEL_MAX_MIN, CHANNEL_MAX_MAX, (n) =>
      n === 0 ? `0, meaning "no limit", is not supported; use ${CHANNEL_MAX_MAX}` : undefined,
    ),
    help: 'highest channel number per connection',
    get: (s) => s.channelMax,
    set: (s, v) => (s.channelMax = v),
  }),
  field({
    key: 'heartbeat',
    flag: '--heartbeat',
    meta: '<seconds>',
    env: ['LEVERET_HEARTBEAT'],
    kind: integer(0, HEARTBEAT_MAX),
    help: 'heartbeat interval proposed to clients (0 = off)',
    get: (s) => s.heartbeat,
    set: (s, v) => (s.heartbeat = v),
  }),
  field({
    key: 'consumerTimeout',
    flag: '--consumer-timeout',
    meta: '<ms>',
    env: ['LEVERET_CONSUMER_TIMEOUT'],
    kind: integer(0, 2 ** 31 - 1),
    help: 'close a channel whose delivery stays unacknowledged this long (0 = off)',
    get: (s) => s.consumerTimeout,
    set: (s, v) => (s.consumerTimeout = v),
  }),
  field({
    key: 'connectionMax',
    flag: '--connection-max',
    meta: '<n|infinity>',
    env: ['LEVERET_CONNECTION_MAX'],
    kind: connectionMax,
    help: 'most AMQP connections at once; more are closed at accept (infinity: up to what file descriptors allow)',
    get: (s) => s.connectionMax,
    set: (s, v) => (s.connectionMax = v),
  }),
  field({
    key: 'durability',
    flag: '--durability',
    meta: '<fsync|relaxed>',
    env: ['LEVERET_DURABILITY'],
    kind: durability,
    help: 'fsync: every commit reaches the disk before confirms; relaxed: the OS flushes (a power loss can lose recent confirmed messages)',
    get: (s) => s.durability,
    set: (s, v) => (s.durability = v),
  }),
  field({
    key: 'loadDefinitions',
    flag: '--load-definitions',
    meta: '<file>',
    env: ['LEVERET_LOAD_DEFINITIONS'],
    kind: text(),
    help: 'definitions file (RabbitMQ JSON format) imported at every start',
    get: (s) => s.loadDefinitions,
    set: (s, v) => (s.loadDefinitions = v),
  }),
  field({
    key: 'logLevel',
    flag: '--log-level',
    meta: '<level>',
    env: ['LEVERET_LOG_LEVEL'],
    kind: logLevel,
    help: LOG_LEVELS.join('|'),
    get: (s) => s.logLevel,
    set: (s, v) => (s.logLevel = v),
  }),
];

export const CONFIG_FLAG = '--config';
export const CONFIG_ENV = 'LEVERET_CONFIG';

// ---------------------------------------------------------------------------------------------------------------
// Command line.

const FROM_CLI = 'command line';
const FROM_ENV = 'environment';
const fromFile = (path: string): string => `config file ${path}`;

function invalid(raw: unknown, key: string, source: string, expected: string): ConfigError {
  const shown = JSON.stringify(raw) ?? String(raw);
  return new ConfigError(`invalid value ${shown} for ${key} (from ${source}): expected ${expected}`, source, key);
}

interface CommandLine {
  /** Raw flag values in order of appearance, keyed by flag name without the dashes. */
  values: Map<string, string[]>;
  configPath: string | undefined;
  help: boolean;
  version: boolean;
}

const FIELD_BY_FLAG = new Map(FIELDS.map((f) => [f.flag.slice(2), f]));

function parseCommandLine(argv: string[]): CommandLine {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    config: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean' },
  };
  for (const name of FIELD_BY_FLAG.keys()) options[name] = { type: 'string' };

  const { tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  const out: CommandLine = { values: new Map(), configPath: undefined, help: false, version: false };
  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue;
    if (token.kind === 'positional') {
      throw new ConfigError(`unexpected argument ${JSON.stringify(token.value)} (from ${FROM_CLI})`, FROM_CLI);
    }
    const spec = options[token.name];
    if (spec === undefined) {
      throw new ConfigError(`unknown option ${token.rawName} (from ${FROM_CLI}); see --help`, FROM_CLI, token.rawName);
    }
    if (spec.type === 'boolean') {
      if (token.value !== undefined) {
        throw new ConfigError(`option --${token.name} takes no value (from ${FROM_CLI})`, FROM_CLI, `--${token.name}`);
      }
      if (token.name === 'help') out.help = true;
      else out.version = true;
      continue;
    }
    // parseArgs in non-strict mode happily takes the next flag as the value ("--port --bind x"); refuse that.
    if (token.value === undefined || (!token.inlineValue && token.value.startsWith('-'))) {
      throw new ConfigError(
        `missing value for --${token.name} (from ${FROM_CLI}); write --${token.name}=<value> if the value starts with "-"`,
        FROM_CLI,
        `--${token.name}`,
      );
    }
    if (token.name === 'config') {
      out.configPath = token.value;
      continue;
    }
    const list = out.values.get(token.name) ?? [];
    list.push(token.value);
    out.values.set(token.name, list);
  }
  return out;
}

/** What the command line asks for. Help wins over everything, so `leveret --help` works even with bad flags. */
export function commandLineAction(argv: string[]): 'help' | 'version' | 'run' {
  const end = argv.indexOf('--');
  const flags = end === -1 ? argv : argv.slice(0, end);
  if (flags.includes('--help') || flags.includes('-h')) return 'help';
  if (flags.includes('--version')) return 'version';
  return 'run';
}

// ---------------------------------------------------------------------------------------------------------------
// Config file.

function readConfigFile(path: string, via: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new ConfigError(`cannot read config file ${path} (from ${via}): ${reason}`, fromFile(path), via);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(err as Error).message}`, fromFile(path));
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new ConfigError(`config file ${path} must contain a JSON object`, fromFile(path));
  }
  return json as Record<string, unknown>;
}

/** Flattens {amqp: {port: 1}} to [["amqp.port", 1]], rejecting keys that are not settings. */
function fileEntries(json: Record<string, unknown>, path: string): [Field<unknown>, unknown][] {
  const byKey = new Map(FIELDS.map((f) => [f.key, f]));
  const groups = new Set(FIELDS.filter((f) => f.key.includes('.')).map((f) => f.key.split('.')[0]));
  const source = fromFile(path);
  const out: [Field<unknown>, unknown][] = [];
  for (const [name, value] of Object.entries(json)) {
    if (groups.has(name)) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw invalid(value, name, source, 'an object');
      }
      for (const [sub, subValue] of Object.entries(value as Record<string, unknown>)) {
        const f = byKey.get(`${name}.${sub}`);
        if (f === undefined) throw unknownKey(`${name}.${sub}`, path);
        out.push([f, subValue]);
      }
      continue;
    }
    const f = byKey.get(name);
    if (f === undefined || f.key.includes('.')) throw unknownKey(name, path);
    out.push([f, value]);
  }
  return out;
}

function unknownKey(key: string, path: string): ConfigError {
  return new ConfigError(`unknown key ${JSON.stringify(key)} in config file ${path}`, fromFile(path), key);
}

// ---------------------------------------------------------------------------------------------------------------

/**
 * Builds the settings for one broker process: defaults, then the JSON config file (--config or LEVERET_CONFIG),
 * then environment variables, then command-line flags. Throws ConfigError on the first problem found.
 * --help and --version are accepted and ignored here; see commandLineAction.
 */
export function loadSettings(input: LoadInput): Settings {
  const { argv, env } = input;
  const cwd = input.cwd ?? process.cwd();
  const cli = parseCommandLine(argv);
  const settings = defaultSettings();

  const envConfig = nonEmpty(env[CONFIG_ENV]);
  const configPath = cli.configPath ?? envConfig;
  if (configPath !== undefined) {
    const via = cli.configPath !== undefined ? CONFIG_FLAG : CONFIG_ENV;
    const path = resolve(cwd, configPath);
    for (const [f, value] of fileEntries(readConfigFile(path, via), path)) {
      const parsed = f.kind.fromJson(value);
      if (!parsed.ok) throw invalid(value, f.key, fromFile(path), parsed.expected);
      f.set(settings, parsed.value);
    }
  }

  for (const f of FIELDS) {
    for (const name of f.env) {
      const raw = nonEmpty(env[name]);
      if (raw === undefined) continue;
      const parsed = f.kind.fromString(raw);
      if (!parsed.ok) throw invalid(raw, name, FROM_ENV, parsed.expected);
      f.set(settings, parsed.value);
      break;
    }
  }

  for (const f of FIELDS) {
    const raws = cli.values.get(f.flag.slice(2));
    if (raws === undefined) continue;
    const parsedValues: unknown[] = [];
    for (const raw of f.repeatable ? raws : raws.slice(-1)) {
      const parsed = f.kind.fromString(raw);
      if (!parsed.ok) throw invalid(raw, f.flag, FROM_CLI, parsed.expected);
      parsedValues.push(parsed.value);
    }
    f.set(settings, f.repeatable ? [...new Set((parsedValues as string[][]).flat())] : parsedValues[0]);
  }

  checkCombination(settings);
  return settings;
}

/** Docker passes `-e NAME=` as an empty string; treat it as unset. */
function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function checkCombination(s: Settings): void {
  if (s.amqp.port !== 0 && s.amqp.port === s.http.port) {
    throw new ConfigError(
      `the AMQP port and the HTTP port are both ${s.amqp.port}; give them different ports`,
      undefined,
      'amqp.port',
    );
  }
}

/** The --help text, generated from the settings table. */
export function usage(): string {
  const rows: [string, string, string | undefined][] = FIELDS.map((f) => {
    const def = f.get(DEFAULT_SETTINGS);
    const shown = def === undefined ? 'none' : Array.isArray(def) ? showList(def as string[]) : String(def);
    return [`${f.flag} ${f.meta}`, `${f.help}; default ${shown}`, `env ${f.env.join(', ')}`];
  });
  rows.push([`${CONFIG_FLAG} <file>`, 'JSON settings file, keys nested as in the README', `env ${CONFIG_ENV}`]);
  rows.push(['-h, --help', 'print this help and exit', undefined]);
  rows.push(['--version', 'print the version and exit', undefined]);
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  const lines = rows.flatMap(([left, right, env]) => {
    const first = `  ${left.padEnd(width)}${right}`;
    return env === undefined ? [first] : [first, `  ${''.padEnd(width)}${env}`];
  });
  return [
    'Usage: leveret [options]',
    '',
    'An AMQP 0-9-1 message broker. Settings: defaults < config file < environment < flags.',
    '',
    'Options:',
    ...lines,
    '',
  ].join('\n');
}
