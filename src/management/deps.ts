import type { AdminService } from '../admin/service';
import type { ChurnStats, MessageStats } from '../observability/stats';

export interface NodeInfo {
  readonly name: string;
  /** ms since the epoch. */
  readonly startedAt: number;
  readonly product: string;
  readonly version: string;
  /** protocol: 'amqp' when absent, 'amqp/ssl' for AMQPS (RabbitMQ's names). */
  readonly amqpListeners: ReadonlyArray<{ readonly ip: string; readonly port: number; readonly protocol?: string }>;
  /** The limits in force, by rabbitmq.conf name (GET /api/overview's leveret_limits). */
  readonly limits?: Readonly<Record<string, number | string>>;
  /** The TLS certificate in use (it changes on reload): when it expires, ms since the epoch; absent without TLS. */
  readonly certificate?: () => { readonly expiresAt: number; readonly subject: string; readonly validTo: string };
  /** Present on a node of an active/standby group (a PostgreSQL store). */
  readonly ha?: HaInfo;
}

/** A node of an active/standby group on PostgreSQL (ha/): what the API shows of the group. */
export interface HaInfo {
  /** GET /api/leveret/ha's body. */
  status(): Record<string, unknown>;
  /** /api/nodes rows for the group's other nodes (this node's row is the full one the nodes route builds). */
  otherNodes(): Record<string, unknown>[];
  /** For /metrics. */
  figures(): { readonly epoch: number; readonly takeovers: number; readonly lastTakeoverMs: number };
}

export interface ManagementDeps {
  /** Everything the API changes or lists goes through the administrative service. */
  readonly admin: AdminService;
  readonly node: NodeInfo;
  /** Broker-wide message counters: the overview's message_stats, the aggregated channel metrics. */
  readonly stats: MessageStats;
  /** Object churn counters (overview churn_rates); zeros when absent. */
  readonly churn?: ChurnStats;
  /** The built web admin UI (index.html, assets/); management/ui.ts's DEFAULT_UI_DIR when absent. */
  readonly uiDir?: string;
  /** Largest request body in bytes (RabbitMQ's management.http.max_body_size, 20 MiB when absent); more gets 413. */
  readonly maxBodySize?: number;
  /** A pino logger for server errors; silent when absent. */
  readonly logger?: import('pino').Logger;
}
