import { hostname } from 'node:os';
/**
 * Typed broker settings and their defaults. Where RabbitMQ has an equivalent setting the default is RabbitMQ's.
 * Loading and validation (defaults < file < env < flags) live in ./load.ts.
 */

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** fsync: a commit is on disk before confirms go out (SQLite synchronous=FULL); relaxed: synchronous=NORMAL. */
export type Durability = 'fsync' | 'relaxed';

export const DURABILITIES: readonly Durability[] = ['fsync', 'relaxed'];

/** A count, or 'infinity' for no limit (RabbitMQ's spelling in rabbitmq.conf). */
export type CountLimit = number | 'infinity';
/** A number of connections, or 'infinity' for no limit of its own. */
export type ConnectionMax = CountLimit;

/** A listener's port: a number (0 = ephemeral), or 'off' for no listener at all (RabbitMQ's `listeners.tcp = none`). */
export type Port = number | 'off';

/** Which part of a client certificate names the user of an EXTERNAL login (RabbitMQ's `ssl_cert_login_from`). */
export type CertLoginFrom = 'common_name' | 'distinguished_name';

export const CERT_LOGIN_FROM: readonly CertLoginFrom[] = ['common_name', 'distinguished_name'];

/**
 * TLS (RabbitMQ's ssl_options): on when both `cert` and `key` are set; then AMQPS listens on amqps.port and the
 * management API on https.port as well. Paths resolve against the working directory; the files are read again on
 * SIGHUP and when they change.
 */
export interface TlsSettings {
  /** PEM certificate (chain) of the server (ssl_options.certfile). */
  cert?: string;
  /** PEM private key of the server (ssl_options.keyfile). */
  key?: string;
  /** PEM CA bundle that client certificates must chain to (ssl_options.cacertfile). */
  ca?: string;
  /** Ask AMQPS clients for a certificate and check it against `ca` (ssl_options.verify = verify_peer). */
  verifyPeer: boolean;
  /** With verifyPeer, refuse AMQPS clients that send no certificate (ssl_options.fail_if_no_peer_cert). */
  failIfNoPeerCert: boolean;
  /** The user an EXTERNAL login names: the certificate subject's CN (default here), or its whole DN. */
  certLoginFrom: CertLoginFrom;
}

/**
 * A resource threshold as RabbitMQ writes one: a fraction (`relative`, of the machine's memory or its cgroup limit)
 * or a number of bytes (`absolute`). vm_memory_high_watermark and disk_free_limit (its mem_relative) both take it.
 */
export type ResourceLimit = { readonly relative: number } | { readonly absolute: number };

export interface Settings {
  /** AMQP listeners: every address in `bind` on `port` (0 = ephemeral). */
  amqp: { bind: string[]; port: Port };
  /** Management HTTP listeners: every address in `bind` on `port` (0 = ephemeral, 'off' = none). */
  http: { bind: string[]; port: Port; maxBodySize: number };
  /** AMQP over TLS (RabbitMQ's listeners.ssl): used when tls.cert and tls.key are set; no bind = amqp.bind. */
  amqps: { bind?: string[]; port: Port };
  /** The management API over TLS (management.ssl.port): used when tls.cert and tls.key are set; no bind = http.bind. */
  https: { bind?: string[]; port: Port };
  tls: TlsSettings;
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
  /**
   * Largest message body accepted, in bytes (RabbitMQ's `max_message_size`); a publish over it closes its channel
   * with 406 PRECONDITION_FAILED.
   */
  maxMessageSize: number;
  /** Most consumers on one channel (RabbitMQ's `consumer_max_per_channel`); one more closes the connection with 530. */
  consumerMaxPerChannel: CountLimit;
  /** Most open channels on the node across connections (RabbitMQ's `channel_max_per_node`); one more gets 530. */
  channelMaxPerNode: CountLimit;
  /** Most queues on the node across vhosts (RabbitMQ's `cluster_queue_limit`); a declare over it gets 406. */
  clusterQueueLimit: CountLimit;
  /** Most vhosts (RabbitMQ's `vhost_max`); creating one more is refused with 400. */
  vhostMax: CountLimit;
  /** Longest time from accept to connection.open-ok, in ms (RabbitMQ's `handshake_timeout`); then the socket closes. */
  handshakeTimeout: number;
  /**
   * Most connections still in their handshake (accepted, not yet logged in and open) at once; one more is closed at
   * accept. Leveret's own: it bounds what clients that never log in can hold.
   */
  unauthenticatedConnectionMax: number;
  /**
   * Output a connection may have queued for a slow reader, in bytes, before the broker stops reading its requests
   * (and, after the send timeout, closes it). Leveret's own.
   */
  outputBufferMax: number;
  /** Deepest nesting of tables and arrays in a field table accepted from a client (Leveret's own; at most 64). */
  fieldTableMaxDepth: number;
  /** How hard each store commit is pushed to disk. */
  durability: Durability;
  /**
   * RabbitMQ's vm_memory_high_watermark: when the process's resident memory (RSS) goes above it, publishing
   * connections are blocked until it falls below again. Relative to total memory (or the cgroup limit when lower).
   */
  memoryHighWatermark: ResourceLimit;
  /**
   * RabbitMQ's disk_free_limit: when the data directory's file system has less free space than this, publishing
   * connections are blocked. Relative values are a multiple of total memory (RabbitMQ's mem_relative).
   */
  diskFreeLimit: ResourceLimit;
  /**
   * A definitions file (RabbitMQ's JSON format, as GET /api/definitions exports it) imported at every start, after
   * the stored state is recovered; none when undefined. Relative paths resolve against the working directory.
   */
  loadDefinitions?: string;
  logLevel: LogLevel;
  /** "sqlite" (the default: one file in dataDir) or a PostgreSQL URL: nodes on one database run active/standby. */
  storeUrl: string;
  /** This node's name (RabbitMQ's RABBITMQ_NODENAME): in /api/nodes, server properties and the HA tables. */
  nodeName: string;
  /**
   * With a PostgreSQL store: how long the active node may go unheard (paused, partitioned, dead) before a standby
   * takes over, in ms. PostgreSQL ends the leader's idle lock session after it (idle_session_timeout).
   */
  haLease: number;
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
/** RabbitMQ refuses a max_message_size above 512 MiB. */
export const MAX_MESSAGE_SIZE_MAX = 512 * 1024 * 1024;
export const HANDSHAKE_TIMEOUT_MAX = 2 ** 31 - 1;
/** The field-table codec's own bound on nesting (protocol/field-value.ts MAX_NESTING). */
export const FIELD_TABLE_DEPTH_MAX = 64;
export const OUTPUT_BUFFER_MIN = 64 * 1024;
export const OUTPUT_BUFFER_MAX = 1024 * 1024 * 1024;
export const HTTP_BODY_MAX = 1024 * 1024 * 1024;

/** TLS is on when the server has both a certificate and a key. */
export function tlsEnabled(s: Pick<Settings, 'tls'>): boolean {
  return s.tls.cert !== undefined && s.tls.key !== undefined;
}

export const DEFAULT_SETTINGS: Settings = Object.freeze({
  amqp: Object.freeze({ bind: Object.freeze(['127.0.0.1', '::1']) as string[], port: 5672 }),
  http: Object.freeze({ bind: Object.freeze(['127.0.0.1']) as string[], port: 15672, maxBodySize: 20 * 1024 * 1024 }),
  amqps: Object.freeze({ port: 5671 }),
  https: Object.freeze({ port: 15671 }),
  tls: Object.freeze({ verifyPeer: false, failIfNoPeerCert: false, certLoginFrom: 'common_name' }),
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
  maxMessageSize: 128 * 1024 * 1024,
  consumerMaxPerChannel: 'infinity',
  channelMaxPerNode: 'infinity',
  clusterQueueLimit: 'infinity',
  vhostMax: 'infinity',
  handshakeTimeout: 10_000,
  unauthenticatedConnectionMax: 1000,
  outputBufferMax: 1024 * 1024,
  fieldTableMaxDepth: 64,
  durability: 'fsync',
  memoryHighWatermark: Object.freeze({ relative: 0.4 }),
  diskFreeLimit: Object.freeze({ absolute: 50_000_000 }),
  logLevel: 'info',
  storeUrl: 'sqlite',
  nodeName: `leveret@${hostname()}`,
  haLease: 5000,
}) as Settings;

/** A deep, mutable copy of the defaults, for callers that build settings up field by field. */
export function defaultSettings(): Settings {
  return {
    ...DEFAULT_SETTINGS,
    amqp: { bind: [...DEFAULT_SETTINGS.amqp.bind], port: DEFAULT_SETTINGS.amqp.port },
    http: { ...DEFAULT_SETTINGS.http, bind: [...DEFAULT_SETTINGS.http.bind] },
    loopbackUsers: [...DEFAULT_SETTINGS.loopbackUsers],
    amqps: { ...DEFAULT_SETTINGS.amqps },
    https: { ...DEFAULT_SETTINGS.https },
    tls: { ...DEFAULT_SETTINGS.tls },
  };
}
