import type { Logger } from 'pino';
import type { AccessControl } from '../auth/access';
import type { LoginThrottle } from '../auth/login-throttle';
import type { ChurnStats, MessageStats } from '../observability/stats';
import type { FieldTable } from '../protocol/field-table';
import type { Clock } from '../util/clock';
import type { AuditSink } from '../vhost/audit';
import type { VirtualHost } from '../vhost/vhost';

/** Negotiation limits the server offers in connection.tune. */
export interface Limits {
  readonly frameMax: number;
  readonly channelMax: number;
  /** Seconds; 0 disables. */
  readonly heartbeat: number;
  /** Default consumer timeout in ms (0 = none); queues may set their own with x-consumer-timeout. */
  readonly consumerTimeout?: number;
  /**
   * How long output may sit over the write limit without the peer taking any of it before the connection is closed
   * (RabbitMQ's tcp_listen_options send_timeout, 15 s, with send_timeout_close). Tests shorten it.
   */
  readonly sendTimeoutMs?: number;
  /** Largest message body (max_message_size); 128 MiB if absent. */
  readonly maxMessageSize?: number;
  /** Most consumers on one channel (consumer_max_per_channel); no limit if absent. */
  readonly consumerMaxPerChannel?: number;
  /** Most open channels across the node's connections (channel_max_per_node); no limit if absent. */
  readonly channelMaxPerNode?: number;
  /** Longest time from accept to connection.open-ok, in ms (handshake_timeout); 10 s if absent. */
  readonly handshakeTimeoutMs?: number;
  /** Queued output beyond which a connection's input is held (writer.ts WRITE_BUFFER_LIMIT if absent). */
  readonly outputBufferMax?: number;
  /** Deepest field-table nesting accepted from a client; the codec's MAX_NESTING if absent. */
  readonly fieldTableMaxDepth?: number;
}

/** What a connection needs from the broker around it. Built once by broker.ts. */
export interface ConnectionContext {
  readonly limits: Limits;
  readonly logger: Logger;
  readonly serverProperties: FieldTable;
  /** The node's name, as error texts that name the node (channel_max_per_node) give it. */
  readonly nodeName?: string;
  readonly access: AccessControl;
  /** Holds back the refusal of repeated failed logins from one peer; refusals go out at once without it. */
  readonly logins?: LoginThrottle;
  /** Broker-wide message counters. */
  readonly stats: MessageStats;
  /** Heartbeats, the close handshake's, throttle and send timeouts, channels' consumer timeouts (system clock if absent). */
  readonly clock?: Clock;
  /** Connection, channel and queue churn for the overview (absent in tests that do not look). */
  readonly churn?: ChurnStats;
  /** What names the user of an EXTERNAL login (RabbitMQ's ssl_cert_login_from); common_name when absent. */
  readonly certLoginFrom?: 'common_name' | 'distinguished_name';
  /** Where definition changes made over AMQP (and refused attempts) are recorded; nothing is without it. */
  readonly audit?: AuditSink;
  vhost(name: string): VirtualHost | undefined;
  /** Open connections (past connection.open) on a vhost, or of a user, for the connection limits. */
  connectionCount(filter: { vhost?: string; user?: string }): number;
  /** Open channels of a user across connections, for the user's max-channels limit. */
  channelCount(user: string): number;
  /** Open channels across all connections, for channel_max_per_node (asked only when that limit is set). */
  totalChannelCount?(): number;
  /** Called once when a connection is open (logged in, vhost opened): its handshake is over. */
  connectionOpened?(connection: object): void;
  /** Called once when a connection's socket is gone and its resources are released. */
  connectionClosed(connection: object): void;
  /**
   * False once this node may no longer serve clients: an active/standby node past its lease (ha/node.ts). Asked per
   * socket read, before anything read is handled: after a long pause (SIGSTOP, a frozen VM), I/O is handled before
   * any timer could notice the lease is gone, and a delivery made then could repeat one the new leader made.
   */
  serving?(): boolean;
}
