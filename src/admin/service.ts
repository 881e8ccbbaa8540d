import type { Logger } from 'pino';
import type { AccessControl } from '../auth/access';
import type { LoginThrottle } from '../auth/login-throttle';
import type { ConnectionInfo } from '../connection/info';
import type { AlarmFigures, AlarmResource } from '../observability/alarms';
import type { Store } from '../store/store';
import type { VhostRegistry } from '../vhost/registry';
import { AuditLog } from './audit';
import { ConnectionAdmin } from './connections';
import {
  exportDefinitions,
  exportVhostDefinitions,
  importDefinitions,
  type ImportSummary,
  type ProductInfo,
} from './definitions';
import { EntityAdmin } from './entities';
import type { Json } from './json';
import { BrowseAdmin } from './browse';
import { MessageAdmin } from './messages';
import { RedriveAdmin } from './redrive';
import { ParameterAdmin } from './parameters';
import { RoutingAdmin } from './routing';
import { TailAdmin } from './tail';
import { UserAdmin } from './users';
import { metricsSnapshot, type Snapshot } from './views/metrics';
import { formatQuarantined } from './views/quarantine';

/** What the administrative service works on: the broker's registries and its store. */
export interface AdminDeps {
  readonly vhosts: VhostRegistry;
  readonly access: AccessControl;
  readonly store: Store;
  /** The open AMQP connections (the connection registry), read when asked. */
  connections(): Iterable<ConnectionInfo>;
  /** The node name views show (RabbitMQ's node). */
  readonly nodeName: string;
  /** Holds back the answer to repeated failed logins from one peer (shared with AMQP); none without it. */
  readonly logins?: LoginThrottle;
  /** Refused logins are logged here; silent when absent. */
  readonly logger?: Logger;
  /** The audit log the broker records to (shared with the AMQP connections); one over `store` when absent. */
  readonly audit?: AuditLog;
  /** The resource alarms (observability/alarms.ts); none in effect, no figures, when absent. */
  readonly alarms?: { readonly resources: AlarmResource[]; readonly figures: AlarmFigures };
}

/** The resource alarms as the health checks, /api/nodes and /metrics show them. */
export interface AlarmsView {
  /** Resources in alarm now ('memory', 'disk'); empty when none is. */
  readonly resources: readonly AlarmResource[];
  /** Figures of the last samples; undefined when the broker runs no monitor. */
  readonly figures: AlarmFigures | undefined;
}

/**
 * The administrative service: everything the management API (and a CLI) may do to the broker and read of it,
 * built on the vhost registry, access control, the connection registry and the store. Its callers never touch a
 * Queue, an Exchange or the Store: they get plain views with RabbitMQ's field names and call these methods.
 * Refusals of the broker come out as AmqpError (its callers map them), "no such thing" as undefined or false.
 */
export class AdminService {
  /** Vhosts, exchanges, queues, bindings and vhost limits. */
  readonly entities: EntityAdmin;
  /** Publish, get and purge. */
  readonly messages: MessageAdmin;
  /** The message browser (Leveret's own): a queue's messages without taking them. */
  readonly browse: BrowseAdmin;
  /** Dead-letter re-drive (Leveret's own). */
  readonly redrive: RedriveAdmin;
  /** Users, logins, permissions, topic permissions, user limits. */
  readonly users: UserAdmin;
  /** Runtime parameters, global parameters, policies. */
  readonly parameters: ParameterAdmin;
  /** Open connections, channels and consumers. */
  readonly connections: ConnectionAdmin;
  /** Where a message would go (the route preview) and a vhost's topology. */
  readonly routing: RoutingAdmin;
  /** Live tails of exchanges and queues (Server-Sent Events). */
  readonly tails: TailAdmin;
  /** Who changed which definition, user or permission: recording and reading the audit log. */
  readonly audit: AuditLog;

  constructor(private readonly deps: AdminDeps) {
    this.entities = new EntityAdmin(deps.vhosts, deps.store, () => deps.connections(), deps.nodeName);
    this.messages = new MessageAdmin(deps.vhosts);
    this.browse = new BrowseAdmin(deps.vhosts);
    this.redrive = new RedriveAdmin(deps.vhosts);
    this.users = new UserAdmin(deps.access, deps.logins, deps.logger);
    this.parameters = new ParameterAdmin(deps.store, deps.vhosts, deps.nodeName);
    this.connections = new ConnectionAdmin(() => deps.connections(), deps.nodeName);
    this.routing = new RoutingAdmin(deps.vhosts);
    this.tails = new TailAdmin(deps.vhosts);
    this.audit = deps.audit ?? new AuditLog(deps.store);
  }

  get nodeName(): string {
    return this.deps.nodeName;
  }

  /** The whole broker's definitions file (GET /api/definitions). */
  exportDefinitions(product: ProductInfo): { [key: string]: Json } {
    return exportDefinitions(this.deps, product);
  }

  /** One vhost's definitions (GET /api/definitions/{vhost}); undefined when there is no such vhost. */
  exportVhostDefinitions(vhost: string, product: ProductInfo): { [key: string]: Json } | undefined {
    const v = this.deps.vhosts.get(vhost);
    return v === undefined ? undefined : exportVhostDefinitions(this.deps, v, product);
  }

  /** Imports a definitions document (into one vhost when given); throws DefinitionsError. Durable once it resolves. */
  async importDefinitions(document: unknown, vhost?: string): Promise<ImportSummary> {
    const summary = importDefinitions(this.deps, document, vhost === undefined ? {} : { vhost });
    await this.deps.store.flush();
    return summary;
  }

  /** The messages set aside as unreadable or undeliverable, oldest first, `limit` at most. */
  quarantine(limit: number, vhost?: string): { total: number; items: Record<string, unknown>[] } {
    return {
      total: this.deps.store.quarantineCount(vhost),
      items: this.deps.store.loadQuarantine(limit, vhost).map(formatQuarantined),
    };
  }

  /** The resource alarms in effect and the figures behind them. */
  alarms(): AlarmsView {
    const alarms = this.deps.alarms;
    return { resources: alarms?.resources ?? [], figures: alarms?.figures };
  }

  /** What /metrics reads, of the given vhosts (all when none). */
  metricsSnapshot(vhosts?: ReadonlySet<string>): Snapshot {
    return metricsSnapshot(this.deps.vhosts, this.deps.connections(), vhosts);
  }
}
