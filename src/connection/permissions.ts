import type { AccessControl, PermissionKind, ResourceKind } from '../auth/access';
import type { ChannelPermissions } from '../channel/ports';
import type { FieldTable } from '../protocol/field-table';

/** Exchanges whose write permission a connection remembers. */
const PUBLISH_CACHE_SIZE = 64;

/** The permission checks of one open connection: its user on its vhost, as its channels ask for them. */
export class ConnectionPermissions implements ChannelPermissions {
  private readonly publishAllowed = new Set<string>();
  private lastPublishExchange: string | undefined;
  /** AccessControl.generation when publishAllowed was last valid. */
  private generation = 0;

  constructor(
    private readonly access: AccessControl,
    readonly userName: string,
    private readonly vhostName: string,
    private readonly clientProperties: FieldTable,
  ) {}

  /** Throws 403 ACCESS_REFUSED unless the connection's user has `kind` permission on the resource. */
  check(kind: PermissionKind, resource: ResourceKind, name: string): void {
    this.access.check(this.userName, this.vhostName, kind, resource, name);
  }

  /** Topic authorisation on a topic exchange's routing key (publish: write, bind: read). */
  checkTopic(exchange: string, kind: 'write' | 'read', routingKey: string): void {
    if (!this.access.hasTopicPermissions) return;
    const clientId = this.clientProperties['connection_name'];
    this.access.checkTopic(this.userName, this.vhostName, exchange, kind, routingKey, typeof clientId === 'string' ? clientId : '');
  }

  /** basic.publish's write check, cached per exchange name for the connection's life (RabbitMQ caches too). */
  checkPublish(exchange: string): void {
    const generation = this.access.generation;
    if (generation !== this.generation) {
      // Permissions changed somewhere: forget what was granted (RabbitMQ applies changes to open channels too).
      this.generation = generation;
      this.publishAllowed.clear();
      this.lastPublishExchange = undefined;
    }
    // Publishers mostly use one exchange: comparing with the last one spares hashing a freshly decoded name.
    if (exchange === this.lastPublishExchange || this.publishAllowed.has(exchange)) {
      this.lastPublishExchange = exchange;
      return;
    }
    this.check('write', 'exchange', exchange);
    if (this.publishAllowed.size >= PUBLISH_CACHE_SIZE) this.publishAllowed.clear();
    this.publishAllowed.add(exchange);
  }
}
