import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { canSeeVhost, checkPermission, principalOf, vhostGate } from '../auth';
import type { ManagementDeps } from '../deps';
import { Errors } from '../errors';
import { parseRanges } from '../../observability/history';
import { jsonToFieldTable } from '../request-json';
import { applyListing, parseListQuery } from '../listing';
import { listOf, ok } from '../schemas/common';
import { bindingJson, queueBody, queueJson, type QueueBody } from '../schemas/entities';
import { bool, flag, resource, vhostNameParams, vhostOr404, vhostParams } from '../support';

const queueList = ok(listOf(queueJson));

/** /api/queues: lists, GET/PUT/DELETE one, purge (DELETE .../contents) and a queue's bindings. */
export function queueRoutes(deps: ManagementDeps): FastifyPluginAsync {
  const gate = vhostGate(deps);
  const { entities, messages } = deps.admin;
  const figures = (request: FastifyRequest) => ({ ranges: parseRanges(request.query), now: Date.now() });
  const queueOr404 = (vhostName: string, name: string): void => {
    vhostOr404(deps, vhostName);
    if (!entities.hasQueue(vhostName, name)) throw Errors.objectNotFound();
  };
  return async (app) => {
    resource(app, '/queues', {
      GET: async (request) => {
        const principal = principalOf(request);
        const items = entities.queues((vhost) => canSeeVhost(deps, principal, vhost), figures(request));
        return applyListing(items, parseListQuery(request.query));
      },
    }, { all: { schema: { response: queueList } } });

    resource<{ Params: { vhost: string } }>(
      app,
      '/queues/:vhost',
      {
        GET: async (request) => {
          const items = entities.queuesOf(request.params.vhost, figures(request));
          if (items === undefined) throw Errors.objectNotFound();
          return applyListing(items, parseListQuery(request.query));
        },
      },
      { all: { onRequest: gate, schema: { params: vhostParams, response: queueList } } },
    );

    resource<{ Params: { vhost: string; name: string }; Body: QueueBody }>(
      app,
      '/queues/:vhost/:name',
      {
        GET: async (request) => {
          const { vhost, name } = request.params;
          queueOr404(vhost, name);
          return entities.queue(vhost, name, figures(request));
        },
        PUT: async (request, reply) => {
          const { vhost: vhostName, name } = request.params;
          vhostOr404(deps, vhostName);
          const body = request.body;
          checkPermission(deps, principalOf(request), vhostName, 'configure', 'queue', name);
          const created = entities.declareQueue(
            vhostName,
            name,
            { durable: bool(body.durable, false), autoDelete: bool(body.auto_delete, false), arguments: jsonToFieldTable(body.arguments) },
            (kind, resource, n) => checkPermission(deps, principalOf(request), vhostName, kind, resource, n),
          );
          return reply.code(created ? 201 : 204).send();
        },
        DELETE: async (request, reply) => {
          const { vhost: vhostName, name } = request.params;
          queueOr404(vhostName, name);
          checkPermission(deps, principalOf(request), vhostName, 'configure', 'queue', name);
          entities.deleteQueue(vhostName, name, flag(request.query, 'if-unused'), flag(request.query, 'if-empty'));
          return reply.code(204).send();
        },
      },
      {
        all: { onRequest: gate, schema: { params: vhostNameParams } },
        GET: { schema: { response: ok(queueJson) } },
        PUT: { schema: { body: queueBody } },
      },
    );

    resource<{ Params: { vhost: string; name: string } }>(
      app,
      '/queues/:vhost/:name/contents',
      {
        DELETE: async (request, reply) => {
          const { vhost, name } = request.params;
          queueOr404(vhost, name);
          checkPermission(deps, principalOf(request), vhost, 'read', 'queue', name);
          messages.purge(vhost, name);
          return reply.code(204).send();
        },
      },
      { all: { onRequest: gate, schema: { params: vhostNameParams } } },
    );

    resource<{ Params: { vhost: string; name: string } }>(
      app,
      '/queues/:vhost/:name/bindings',
      {
        GET: async (request) => {
          const { vhost: vhostName, name } = request.params;
          const items = entities.queueBindings(vhostName, name);
          if (items === undefined) throw Errors.objectNotFound();
          return applyListing(items, parseListQuery(request.query), []);
        },
      },
      { all: { onRequest: gate, schema: { params: vhostNameParams, response: ok(listOf(bindingJson)) } } },
    );
  };
}
