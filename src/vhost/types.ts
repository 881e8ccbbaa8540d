import type { FieldTable } from '../protocol/field-table';

/** What a virtual host is asked and what it reports: the declarations, limits, events and permission checks. */

export interface VhostLimits {
  readonly 'max-connections'?: number;
  readonly 'max-queues'?: number;
}

export interface ExchangeDeclare {
  readonly name: string;
  readonly type: string;
  readonly passive: boolean;
  readonly durable: boolean;
  readonly autoDelete: boolean;
  readonly internal: boolean;
  readonly arguments: FieldTable;
}

export interface QueueDeclare {
  readonly name: string;
  readonly passive: boolean;
  readonly durable: boolean;
  readonly exclusive: boolean;
  readonly autoDelete: boolean;
  readonly arguments: FieldTable;
}

/**
 * What a vhost tells the broker about failures it contained. Optional: a vhost without them (unit tests) still
 * contains the failure, it just reports it nowhere.
 */
export interface VhostEvents {
  /** An unexpected exception in a queue's timer or callback (`during`: 'expiry', 'delivery', ...), contained. */
  internalError(err: unknown, where: { vhost: string; queue?: string; during: string }): void;
  /** A message was moved to the quarantine (it could not be read back or delivered). */
  setAside(where: { vhost: string; queue: string; reason: string }): void;
  /**
   * Dead-letter copies were dropped (reported at most once a turn): a cascade reached MAX_COPIES_PER_CASCADE, or the
   * copies waiting reached their bound (vhost/dead-letters.ts).
   */
  deadLettersDropped?(vhost: string, dropped: number): void;
  /** A declare is about to create queue `name`: throws (AmqpError) to refuse it (the node's cluster_queue_limit). */
  creatingQueue?(vhost: string, name: string): void;
}

/**
 * A permission check of the caller (an AMQP channel, an HTTP request): throws ACCESS_REFUSED unless its user has
 * `kind` permission on the resource. Declares call it for what RabbitMQ checks beyond the caller's own checks.
 */
export type PermissionCheck = (kind: 'configure' | 'write' | 'read', resource: 'queue' | 'exchange', name: string) => void;
