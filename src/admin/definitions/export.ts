import { POLICY_COMPONENT } from '../../vhost/policies';
import type { UserLimits } from '../../auth/access';
import type { ParameterRecord, UserRecord, VhostRecord } from '../../store/store';
import type { Binding } from '../../vhost/bindings';
import type { VirtualHost } from '../../vhost/vhost';
import { boundedJson, fieldTableToJson, type Json } from '../json';
import {
  compare,
  GLOBAL_PARAMETER_COMPONENT,
  isObject,
  isSystemExchange,
  NOT_PARAMETERS,
  type DefinitionsTarget,
  type JsonObject,
  type ProductInfo,
} from './common';

/*
 * Export: RabbitMQ's definitions file from the broker's state (GET /api/definitions, rabbitmqctl export_definitions).
 */

/**
 * The whole broker's definitions, as RabbitMQ's GET /api/definitions: non-exclusive queues, exchanges other
 * than the default and amq.* ones, and the bindings between exported entities (amq.* exchanges count as exported).
 */
export function exportDefinitions(target: DefinitionsTarget, product: ProductInfo): JsonObject {
  const parameters = sortParameters(target.store.loadParameters());
  const vhosts = target.vhosts.list().sort((a, b) => compare(a.record.name, b.record.name));
  return {
    ...header(product),
    users: target.access
      .listUsers()
      .sort((a, b) => compare(a.name, b.name))
      .map((u) => exportUser(u, target.access.getUserLimits(u.name))),
    vhosts: vhosts.map(({ record }) => exportVhost(record)),
    permissions: target.access
      .listPermissions()
      .sort((a, b) => compare(a.vhost, b.vhost) || compare(a.user, b.user))
      .map((p) => ({ user: p.user, vhost: p.vhost, configure: p.configure, write: p.write, read: p.read })),
    topic_permissions: target.access
      .listTopicPermissions()
      .sort((a, b) => compare(a.vhost, b.vhost) || compare(a.user, b.user) || compare(a.exchange, b.exchange))
      .map((t) => ({ user: t.user, vhost: t.vhost, exchange: t.exchange, write: t.write, read: t.read })),
    parameters: parameters.filter(isPlainParameter).map((p) => exportParameter(p, true)),
    global_parameters: parameters
      .filter((p) => p.component === GLOBAL_PARAMETER_COMPONENT)
      .map((p) => ({ name: p.name, value: boundedJson(p.value) })),
    policies: parameters.filter((p) => p.component === POLICY_COMPONENT).map((p) => exportPolicy(p, true)),
    ...entities(vhosts.map(({ vhost }) => vhost), true),
  };
}

/** One vhost's definitions, as RabbitMQ's GET /api/definitions/{vhost}: no users, vhosts or permissions, no vhost keys. */
export function exportVhostDefinitions(target: DefinitionsTarget, vhost: VirtualHost, product: ProductInfo): JsonObject {
  const parameters = sortParameters(target.store.loadParameters().filter((p) => p.vhost === vhost.name));
  return {
    ...header(product),
    parameters: parameters.filter(isPlainParameter).map((p) => exportParameter(p, false)),
    policies: parameters.filter((p) => p.component === POLICY_COMPONENT).map((p) => exportPolicy(p, false)),
    ...entities([vhost], false),
  };
}

function header(product: ProductInfo): JsonObject {
  return {
    rabbit_version: product.version,
    rabbitmq_version: product.version,
    product_name: product.product,
    product_version: product.version,
  };
}

function exportUser(record: UserRecord, limits: UserLimits): JsonObject {
  return {
    name: record.name,
    password_hash: record.passwordHash,
    hashing_algorithm: record.hashingAlgorithm,
    tags: [...record.tags],
    limits: { ...limits } as JsonObject,
  };
}

function exportVhost(record: VhostRecord): JsonObject {
  const queueType: JsonObject = record.defaultQueueType === undefined ? {} : { default_queue_type: record.defaultQueueType };
  return {
    name: record.name,
    description: record.description,
    tags: [...record.tags],
    ...queueType,
    metadata: { description: record.description, tags: [...record.tags], ...queueType },
  };
}

function isPlainParameter(p: ParameterRecord): boolean {
  return p.vhost !== '' && !NOT_PARAMETERS.has(p.component);
}

function exportParameter(p: ParameterRecord, withVhost: boolean): JsonObject {
  return { ...(withVhost ? { vhost: p.vhost } : {}), component: p.component, name: p.name, value: boundedJson(p.value) };
}

function exportPolicy(p: ParameterRecord, withVhost: boolean): JsonObject {
  const value = (isObject(p.value) ? p.value : {}) as JsonObject;
  return {
    ...(withVhost ? { vhost: p.vhost } : {}),
    name: p.name,
    pattern: value.pattern ?? '',
    'apply-to': value['apply-to'] ?? 'all',
    definition: boundedJson(value.definition ?? {}),
    priority: value.priority ?? 0,
  };
}

function entities(vhosts: readonly VirtualHost[], withVhost: boolean): { queues: Json[]; exchanges: Json[]; bindings: Json[] } {
  const queues: Json[] = [];
  const exchanges: Json[] = [];
  const bindings: Json[] = [];
  const v = (vhost: VirtualHost): JsonObject => (withVhost ? { vhost: vhost.name } : {});
  for (const vhost of vhosts) {
    const exportedQueues = new Set<string>();
    for (const queue of vhost.queues.values()) {
      // Transient and auto-delete queues too, as RabbitMQ 3.10 exports them; exclusive ones belong to a connection.
      if (queue.exclusiveOwner !== null) continue;
      exportedQueues.add(queue.name);
      queues.push({
        name: queue.name,
        ...v(vhost),
        durable: queue.durable,
        auto_delete: queue.autoDelete,
        arguments: fieldTableToJson(queue.arguments),
      });
    }
    for (const exchange of vhost.exchanges.values()) {
      if (isSystemExchange(exchange.name)) continue;
      exchanges.push({
        name: exchange.name,
        ...v(vhost),
        type: exchange.type.name,
        durable: exchange.durable,
        auto_delete: exchange.autoDelete,
        internal: exchange.internal,
        arguments: fieldTableToJson(exchange.arguments),
      });
    }
    const exchangeEnd = (name: string): boolean => name !== '' && vhost.exchanges.has(name);
    const exported = (b: Binding): boolean =>
      exchangeEnd(b.source.name) &&
      (b.destinationKind === 'queue' ? exportedQueues.has(b.destination.name) : exchangeEnd(b.destination.name));
    for (const b of vhost.bindings.all()) {
      if (!exported(b)) continue;
      bindings.push({
        source: b.source.name,
        ...v(vhost),
        destination: b.destination.name,
        destination_type: b.destinationKind,
        routing_key: b.routingKey,
        arguments: fieldTableToJson(b.arguments),
      });
    }
  }
  return { queues, exchanges, bindings };
}

function sortParameters(list: ParameterRecord[]): ParameterRecord[] {
  return list.sort((a, b) => compare(a.vhost, b.vhost) || compare(a.component, b.component) || compare(a.name, b.name));
}
