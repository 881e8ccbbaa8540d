import type { MessageStats } from '../observability/stats';
import type { FieldTable } from '../protocol/field-table';
import type { TlsSessionInfo } from '../tls/peer';

export type { TlsSessionInfo } from '../tls/peer';

/**
 * What the management API reads about one open AMQP connection. The connection module provides it, so the API
 * never sees a socket or a Connection object.
 */
export interface ConnectionInfo {
  /** "peerHost:peerPort -> host:port", RabbitMQ's connection name, also the key of DELETE /api/connections/{name}. */
  readonly name: string;
  /** The authenticated user; '' before the handshake finished. */
  readonly user: string;
  /** The vhost opened; '' before connection.open. */
  readonly vhost: string;
  readonly peerHost: string;
  readonly peerPort: number;
  /** Local address and port of the listener side. */
  readonly host: string;
  readonly port: number;
  /** Open channels. */
  readonly channelCount: number;
  /** ms since the epoch. */
  readonly connectedAt: number;
  readonly clientProperties: FieldTable;
  readonly frameMax: number;
  readonly channelMax: number;
  /** Negotiated heartbeat, seconds. */
  readonly heartbeat: number;
  /** 'starting' | 'tuning' | 'opening' | 'running' | 'closing' ... as RabbitMQ names them. */
  readonly state?: string;
  /** The TLS session of an AMQPS connection (absent on a plain one). */
  readonly tls?: TlsSessionInfo;
  /** SASL mechanism used, e.g. 'PLAIN'. */
  readonly authMechanism?: string;
  readonly recvOct?: number;
  readonly sendOct?: number;
  /** Bytes per second received and sent over the last sample interval (the broker's stats sampler). */
  readonly recvOctRate?: number;
  readonly sendOctRate?: number;
  /** Closes the connection with 320 CONNECTION_FORCED and this text. */
  close(reason: string): void;
  /** The open channels, read when asked (absent = none known). */
  channels?(): ChannelInfo[];
}

/** What the management API and /metrics read about one channel (RabbitMQ's channel object). */
export interface ChannelInfo {
  /** The channel number on its connection. */
  readonly number: number;
  /** 'running', or 'closing' once the broker sent channel.close. */
  readonly state: string;
  /** basic.qos global=false: the prefetch applied to consumers created afterwards. */
  readonly prefetchCount: number;
  /** basic.qos global=true: the limit across the channel's consumers. */
  readonly globalPrefetchCount: number;
  /** confirm.select was used. */
  readonly confirm: boolean;
  /** tx.select was used. */
  readonly transactional: boolean;
  readonly messagesUnacknowledged: number;
  /** Publishes not yet confirmed (0 when not counted). */
  readonly messagesUnconfirmed: number;
  /** Publishes held by an open transaction. */
  readonly messagesUncommitted: number;
  /** Acks held by an open transaction (no longer counted as unacknowledged, as in RabbitMQ). */
  readonly acksUncommitted: number;
  /** The channel's live counters. */
  readonly stats: MessageStats;
  readonly consumers: ConsumerInfo[];
}

/** One basic.consume subscription. */
export interface ConsumerInfo {
  readonly tag: string;
  readonly queue: string;
  readonly vhost: string;
  /** Manual acknowledgement (not no-ack). */
  readonly ackRequired: boolean;
  readonly exclusive: boolean;
  readonly priority: number;
  /** Per-consumer prefetch; 0 = unlimited. */
  readonly prefetchCount: number;
  /** Deliveries to this consumer not yet settled. */
  readonly unacked: number;
  /** False for a waiting consumer of a single-active-consumer queue (absent = active). */
  readonly active?: boolean;
}
