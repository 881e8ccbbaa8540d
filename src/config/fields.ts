/**
 * The settings table: every setting is one row (flag, environment variables, file key, value kind), so the parser,
 * the validation messages and the --help text cannot drift apart.
 */
import { addresses, connectionMax, durability, integer, logLevel, text, userList, type Kind } from './kinds';
import {
  CHANNEL_MAX_MAX,
  CHANNEL_MAX_MIN,
  FRAME_MAX_MAX,
  FRAME_MAX_MIN,
  HEARTBEAT_MAX,
  LOG_LEVELS,
  PORT_MAX,
  type Settings,
} from './settings';

export interface Field<T> {
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

export const showList = (list: readonly string[]): string => (list.length === 0 ? 'none' : list.join(','));

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
