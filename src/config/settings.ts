/**
 * Typed broker settings and their defaults. Where RabbitMQ has an equivalent setting the default is RabbitMQ's.
 * Loading and validation (defaults < file < env < flags) live in ./load.ts.
 */

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** fsync: a commit is on disk before confirms go out (SQLite synchronous=FULL); relaxed: synchronous=NORMAL. */
export type Durability = 'fsync' | 'relaxed';

export const DURABILITIES: readonly Durability[] = ['fsync', 'relaxed'];

/** A number of connections, or 'infinity' for no limit of its own (RabbitMQ's spelling in rabbitmq.conf). */
export type ConnectionMax = number | 'infinity';

export interface Settings {
  /** AMQP listeners: every address in `bind` on `port` (0 = ephemeral). */
  amqp: { bind: string[]; port: number };
  /** Management HTTP listeners (the management API arrives in a later issue; the settings exist now). */
  http: { bind: string[]; port: number };
  /** Directory for durable state; relative paths resolve against the working directory. */
  dataDir: string;
  /** User and vhost created on first boot. */
  defaultUser: string;
  defaultPass: string;
  defaultVhost: string;
  /** Users that may connect only from a loopback address (RabbitMQ's `loopback_users`). */
  loopbackUsers: string[];
  /** Largest frame the server accepts and proposes in connection.tune, in bytes. */
  frameMax: number;
  /** Highest channel number the server proposes in connection.tune. */
  channelMax: number;
  /** Heartbeat interval proposed in connection.tune, in seconds; 0 disables heartbeats. */
  heartbeat: number;
  /**
   * Consumer (delivery acknowledgement) timeout in ms: a delivery unacked for longer closes its channel with 406,
   * as RabbitMQ's consumer_timeout does; 0 disables. A queue's x-consumer-timeout overrides it.
   */
  consumerTimeout: number;
  /**
   * Most AMQP connections at once (RabbitMQ's `connection_max`); one more is closed at accept. 'infinity' (the
   * default) still stops short of the process's file-descriptor limit, keeping room for the store and HTTP.
   */
  connectionMax: ConnectionMax;
  /** How hard each store commit is pushed to disk. */
  durability: Durability;
  /**
   * A definitions file (RabbitMQ's JSON format, as GET /api/definitions exports it) imported at every start, after
   * the stored state is recovered; none when undefined. Relative paths resolve against the working directory.
   */
  loadDefinitions?: string;
  logLevel: LogLevel;
}

/** Smallest frame_max accepted; the 0-9-1 spec's frame-min-size, and what old amqplib versions ask for. */
export const FRAME_MAX_MIN = 4096;
/** Largest frame_max: frame sizes are signed 32-bit in most clients. */
export const FRAME_MAX_MAX = 2 ** 31 - 1;
export const CHANNEL_MAX_MIN = 1;
export const CHANNEL_MAX_MAX = 65535;
/** connection.tune carries the heartbeat as a short. */
export const HEARTBEAT_MAX = 65535;
export const PORT_MAX = 65535;
export const CONNECTION_MAX_MAX = 2 ** 31 - 1;

export const DEFAULT_SETTINGS: Settings = Object.freeze({
  amqp: Object.freeze({ bind: Object.freeze(['127.0.0.1', '::1']) as string[], port: 5672 }),
  http: Object.freeze({ bind: Object.freeze(['127.0.0.1']) as string[], port: 15672 }),
  dataDir: './data',
  defaultUser: 'guest',
  defaultPass: 'guest',
  defaultVhost: '/',
  loopbackUsers: Object.freeze(['guest']) as string[],
  frameMax: 131072,
  channelMax: 2047,
  heartbeat: 60,
  consumerTimeout: 1_800_000,
  connectionMax: 'infinity',
  durability: 'fsync',
  logLevel: 'info',
}) as Settings;

/** A deep, mutable copy of the defaults, for callers that build settings up field by field. */
export function defaultSettings(): Settings {
  return {
    ...DEFAULT_SETTINGS,
    amqp: { bind: [...DEFAULT_SETTINGS.amqp.bind], port: DEFAULT_SETTINGS.amqp.port },
    http: { bind: [...DEFAULT_SETTINGS.http.bind], port: DEFAULT_SETTINGS.http.port },
    loopbackUsers: [...DEFAULT_SETTINGS.loopbackUsers],
  };
}
