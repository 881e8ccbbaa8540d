import type { FieldTable } from '../protocol/field-table';

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
  /** SASL mechanism used, e.g. 'PLAIN'. */
  readonly authMechanism?: string;
  readonly recvOct?: number;
  readonly sendOct?: number;
  /** Closes the connection with 320 CONNECTION_FORCED and this text. */
  close(reason: string): void;
}
