/**
 * The brokers the access-control and limit tests connect to: a TestBroker with the users and permissions those tests
 * need.
 */
import type { PermissionRecord } from '../../store/store';
import type { VirtualHost } from '../../vhost/vhost';
import { ELSEWHERE, TestBroker } from './harness';

export function perm(user: string, vhost: string, configure: string, write: string, read: string): PermissionRecord {
  return { user, vhost, configure, write, read };
}

/** Users guest, alice and bob, each with full permissions on '/' and 'other'; ready() expects channel.open-ok. */
export class FullAccessBroker extends TestBroker {
  constructor() {
    super({ users: ['guest', 'alice', 'bob'], confirmChannelOpen: true });
    for (const name of this.options.users) {
      for (const vhost of ['/', 'other']) this.access.setPermission({ user: name, vhost, configure: '.*', write: '.*', read: '.*' });
    }
  }
}

/** Users with the permissions the permission tests need; no connection or channel limits are set here. */
export class PermissionsBroker extends TestBroker {
  constructor() {
    super({ users: ['guest', 'limited', 'nodefault', 'gen', 'empty', 'nobody'], confirmChannelOpen: false });
    this.access.setPermission(perm('guest', '/', '.*', '.*', '.*'));
    this.access.setPermission(perm('guest', 'other', '.*', '.*', '.*'));
    this.access.setPermission(perm('limited', '/', '^mine-.*', '^mine-.*|^amq\\.default$', '^mine-.*'));
    this.access.setPermission(perm('nodefault', '/', '^mine-.*', '^mine-.*', '^mine-.*'));
    this.access.setPermission(perm('gen', '/', '^amq\\.gen-.*', '', ''));
    this.access.setPermission(perm('empty', '/', '', '', ''));
    // 'nobody' has permissions on another vhost only.
    this.access.setPermission(perm('nobody', 'other', '.*', '.*', '.*'));
  }
}

/** "<what> in vhost '/' refused for user '<user>'", RabbitMQ's refusal text. */
export function by(user: string, what: string): string {
  return `${what} in vhost '/' refused for user '${user}'`;
}

/** Resources owned by nobody in the test: created directly on the vhost, as another connection would. */
export function seed(vhost: VirtualHost): void {
  for (const name of ['mine-x', 'mine-x2', 'other-x']) {
    vhost.declareExchange({ name, type: 'direct', passive: false, durable: false, autoDelete: false, internal: false, arguments: {} });
  }
  for (const name of ['mine-q', 'other-q']) {
    vhost.declareQueue({ name, passive: false, durable: false, exclusive: false, autoDelete: false, arguments: {} }, ELSEWHERE);
  }
}

/**
 * The vhost's bindings other than the default exchange's, sorted, as "source -[key]-> kind:destination", or without
 * their keys as "source -> kind:destination".
 */
export function bindingsOf(vhost: VirtualHost, withKeys = true): string[] {
  return vhost.bindings
    .all()
    .filter((b) => b.source.name !== '')
    .map((b) =>
      withKeys
        ? `${b.source.name} -[${b.routingKey}]-> ${b.destinationKind}:${b.destination.name}`
        : `${b.source.name} -> ${b.destinationKind}:${b.destination.name}`,
    )
    .sort();
}

export function seedQueue(vhost: VirtualHost, name: string): void {
  vhost.declareQueue({ name, passive: false, durable: false, exclusive: false, autoDelete: false, arguments: {} }, ELSEWHERE);
}
