import type { AccessControl } from '../auth/access';
import type { VhostRegistry } from '../vhost/registry';

export type { ConnectionInfo } from '../connection/info';
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
  connections(): Iterable<ConnectionInfo>;
  readonly node: NodeInfo;
  /** A pino logger for server errors; silent when absent. */
  readonly logger?: import('pino').Logger;
}
