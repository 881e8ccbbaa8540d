import type { AccessControl } from '../auth/access';
import type { LoginThrottle } from '../auth/login-throttle';
import type { ChurnStats, MessageStats } from '../observability/stats';
import type { Store } from '../store/store';
import type { VhostRegistry } from '../vhost/registry';

export type { ChannelInfo, ConnectionInfo, ConsumerInfo } from '../connection/info';
import type { ConnectionInfo } from '../connection/info';

export interface NodeInfo {
  readonly name: string;
  /** ms since the epoch. */
  readonly startedAt: number;
  readonly product: string;
  readonly version: string;
  readonly amqpListeners: ReadonlyArray<{ readonly ip: string; readonly port: number }>;
}

export interface ManagementDeps {
  readonly vhosts: VhostRegistry;
  readonly access: AccessControl;
  /** The broker's store: runtime parameters (policies, parameters, global parameters) are read and written here. */
  readonly store: Store;
  connections(): Iterable<ConnectionInfo>;
  readonly node: NodeInfo;
  /** Broker-wide message counters: the overview's message_stats, the aggregated channel metrics. */
  readonly stats: MessageStats;
  /** Object churn counters (overview churn_rates); zeros when absent. */
  readonly churn?: ChurnStats;
  /** A pino logger for server errors and refused logins; silent when absent. */
  readonly logger?: import('pino').Logger;
  /** Holds back the 401 of repeated failed logins from one peer (shared with AMQP); 401s go out at once without it. */
  readonly logins?: LoginThrottle;
}
