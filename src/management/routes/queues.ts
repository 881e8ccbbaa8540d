import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { canSeeVhost, checkPermission, principalOf, vhostGate } from '../auth';
import type { ManagementDeps } from '../deps';
import { Errors } from '../errors';
import { parseRanges } from '../../observability/history';
import type { PolicyValue } from '../../vhost/policies';
import { defaultBinding, formatBinding, formatConsumerDetail, formatQueue, jsonToFieldTable, type QueueExtras } from '../format';
import { applyListing, parseListQuery } from '../listing';
import {
  argumentsSchema,
  bodyOf,
  bool,
  booleanish,
  flag,
  MANAGEMENT_OWNER,
  resource,
  vhostNameParams,
  vhostOr404,
  vhostParams,
} from '../support';

const queueBody = {
  type: 'object',
  properties: {
    durable: booleanish,
    auto_delete: booleanish,
    arguments: argumentsSchema,
    node: { type: 'string' },
  },
} as const;

type VhostRequest = FastifyRequest<{ Params: { vhost: string } }>;
type QueueRequest = FastifyRequest<{ Params: { vhost: string; name: string } }>;

/** /api/queues: lists, GET/PUT/DELETE one, purge (DELETE .../contents) and a queue's bindings. */
export function queueRoutes(deps: ManagementDeps): FastifyPluginAsync {
  const gate = vhostGate(deps);
  const node = deps.node.name;
  const queueOr404 = (vhostName: string, name: string) => {
    const queue = vhostOr404(deps, vhostName).queues.get(name);
    if (queue === undefined) throw Errors.objectNotFound();
    return queue;
  };
  /** Policy definitions by component, vhost and name, read once per request. */
  const policyLookup = (): QueueExtras['policyDefinition'] => {
    const byKey = new Map<string, Record<string, unknown>>();
    for (const p of deps.store.loadParameters()) {
      if (p.component !== 'policy' && p.component !== 'operator_policy') continue;
      const definition = (p.value as PolicyValue | undefined)?.definition;
      if (definition !== null && typeof definition === 'object') byKey.set(`${p.component}\0${p.vhost}\0${p.name}`, definition);
    }
    return (component, vhost, name) => byKey.get(`${component}\0${vhost}\0${name}`);
  };
  const extras = (request: FastifyRequest): QueueExtras => ({
    ranges: parseRanges(request.query),
    now: Date.now(),
    policyDefinition: policyLookup(),
  });
  /** consumer_details of one queue: its consumers on every connection. */
  const consumersOf = (vhost: string, name: string): Record<string, unknown>[] => {
    const out: Record<string, unknown>[] = [];
    for (const c of deps.connections()) {
      if (c.vhost !== vhost) continue;
      for (const channel of c.channels?.() ?? []) {
        for (const consumer of channel.consumers) {
          if (consumer.queue === name && consumer.vhost === vhost) out.push(formatConsumerDetail(c, channel, consumer, node));
        }
      }
    }
    return out;
  };
  return async (app) => {
    resource(app, '/queues', {
      GET: async (request) => {
        const principal = principalOf(request);
        const items: Record<string, unknown>[] = [];
        const options = extras(request);
        for (const { record, vhost } of deps.vhosts.list()) {
          if (!canSeeVhost(deps, principal, record.name)) continue;
          for (const queue of vhost.queues.values()) items.push(formatQueue(queue, node, options));
        }
        return applyListing(items, parseListQuery(request.query as Record<string, unknown>));
      },
    });

    resource(
      app,
      '/queues/:vhost',
      {
        GET: async (request) => {
          const vhost = vhostOr404(deps, (request as VhostRequest).params.vhost);
          const options = extras(request);
          const items = [...vhost.queues.values()].map((q) => formatQueue(q, node, options));
          return applyListing(items, parseListQuery(request.query as Record<string, unknown>));
        },
      },
      { all: { onRequest: gate, schema: { params: vhostParams } } },
    );

    resource(
      app,
      '/queues/:vhost/:name',
      {
        GET: async (request) => {
          const { vhost, name } = (request as QueueRequest).params;
          const queue = queueOr404(vhost, name);
          return formatQueue(queue, node, { ...extras(request), consumers: consumersOf(vhost, name) });
        },
        PUT: async (request, reply) => {
          const { vhost: vhostName, name } = (request as QueueRequest).params;
          const vhost = vhostOr404(deps, vhostName);
          const body = bodyOf(request);
          checkPermission(deps, principalOf(request), vhostName, 'configure', 'queue', name);
          const existed = vhost.queues.has(name);
          vhost.declareQueue(
            {
              name,
              passive: false,
              durable: bool(body.durable, false),
              exclusive: false,
              autoDelete: bool(body.auto_delete, false),
              arguments: jsonToFieldTable(body.arguments),
            },
            MANAGEMENT_OWNER,
            (kind, resource, n) => checkPermission(deps, principalOf(request), vhostName, kind, resource, n),
          );
          return reply.code(existed ? 204 : 201).send();
        },
        DELETE: async (request, reply) => {
          const { vhost: vhostName, name } = (request as QueueRequest).params;
          const vhost = vhostOr404(deps, vhostName);
          queueOr404(vhostName, name);
          checkPermission(deps, principalOf(request), vhostName, 'configure', 'queue', name);
          vhost.deleteQueue(name, flag(request.query, 'if-unused'), flag(request.query, 'if-empty'), MANAGEMENT_OWNER);
          return reply.code(204).send();
        },
      },
      {
        all: { onRequest: gate, schema: { params: vhostNameParams } },
        PUT: { onRequest: gate, schema: { params: vhostNameParams, body: queueBody } },
      },
    );

    resource(
      app,
      '/queues/:vhost/:name/contents',
      {
        DELETE: async (request, reply) => {
          const { vhost, name } = (request as QueueRequest).params;
          const queue = queueOr404(vhost, name);
          checkPermission(deps, principalOf(request), vhost, 'read', 'queue', name);
          if (queue.exclusiveOwner !== null) {
            throw Errors.badRequest(
              `cannot obtain exclusive access to locked queue '${name}' in vhost '${vhost}'`,
            );
          }
          queue.purge();
          return reply.code(204).send();
        },
      },
      { all: { onRequest: gate, schema: { params: vhostNameParams } } },
    );

    resource(
      app,
      '/queues/:vhost/:name/bindings',
      {
        GET: async (request) => {
          const { vhost: vhostName, name } = (request as QueueRequest).params;
          const vhost = vhostOr404(deps, vhostName);
          const queue = queueOr404(vhostName, name);
          const items = [defaultBinding(vhostName, name), ...vhost.bindings.toDestination(queue).map((b) => formatBinding(vhostName, b))];
          return applyListing(items, parseListQuery(request.query as Record<string, unknown>), []);
        },
      },
      { all: { onRequest: gate, schema: { params: vhostNameParams } } },
    );
  };
}
