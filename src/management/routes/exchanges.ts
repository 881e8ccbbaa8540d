import type { FastifyPluginAsync } from 'fastify';
import { canSeeVhost, checkPermission, principalOf, vhostGate } from '../auth';
import type { ManagementDeps } from '../deps';
import { Errors } from '../errors';
import { jsonToFieldTable } from '../request-json';
import { applyListing, parseListQuery } from '../listing';
import { listOf, ok } from '../schemas/common';
import { bindingJson, exchangeBody, exchangeJson, type ExchangeBody } from '../schemas/entities';
import { bool, exchangeId, flag, resource, vhostNameParams, vhostOr404, vhostParams } from '../support';

const exchangeList = ok(listOf(exchangeJson));

/** /api/exchanges: lists, GET/PUT/DELETE one, and an exchange's bindings as source or destination. */
export function exchangeRoutes(deps: ManagementDeps): FastifyPluginAsync {
  const gate = vhostGate(deps);
  const { entities } = deps.admin;
  const exchangeOr404 = (vhostName: string, name: string): Record<string, unknown> => {
    vhostOr404(deps, vhostName);
    const exchange = entities.exchange(vhostName, exchangeId(name));
    if (exchange === undefined) throw Errors.objectNotFound();
    return exchange;
  };
  return async (app) => {
    resource(app, '/exchanges', {
      GET: async (request) => {
        const principal = principalOf(request);
        const items = entities.exchanges((vhost) => canSeeVhost(deps, principal, vhost));
        return applyListing(items, parseListQuery(request.query));
      },
    }, { all: { schema: { response: exchangeList } } });

    resource<{ Params: { vhost: string } }>(
      app,
      '/exchanges/:vhost',
      {
        GET: async (request) => {
          const items = entities.exchangesOf(request.params.vhost);
          if (items === undefined) throw Errors.objectNotFound();
          return applyListing(items, parseListQuery(request.query));
        },
      },
      { all: { onRequest: gate, schema: { params: vhostParams, response: exchangeList } } },
    );

    resource<{ Params: { vhost: string; name: string }; Body: ExchangeBody }>(
      app,
      '/exchanges/:vhost/:name',
      {
        GET: async (request) => {
          const { vhost, name } = request.params;
          // Per-channel (incoming) and per-queue (outgoing) rates exist only in RabbitMQ's rates_mode=detailed; in
          // its default, basic, the lists are empty, and its web UI's exchange page needs them to be there.
          return { ...exchangeOr404(vhost, name), incoming: [], outgoing: [] };
        },
        PUT: async (request, reply) => {
          const { vhost: vhostName, name } = request.params;
          vhostOr404(deps, vhostName);
          const body = request.body;
          // Absent fields take exchange.declare's defaults, as RabbitMQ's PUT does: direct, not durable.
          const type = typeof body.type === 'string' ? body.type : 'direct';
          const id = exchangeId(name);
          checkPermission(deps, principalOf(request), vhostName, 'configure', 'exchange', id);
          const created = entities.declareExchange(
            vhostName,
            id,
            {
              type,
              durable: bool(body.durable, false),
              autoDelete: bool(body.auto_delete, false),
              internal: bool(body.internal, false),
              arguments: jsonToFieldTable(body.arguments),
            },
            (kind, resource, n) => checkPermission(deps, principalOf(request), vhostName, kind, resource, n),
          );
          return reply.code(created ? 201 : 204).send();
        },
        DELETE: async (request, reply) => {
          const { vhost: vhostName, name } = request.params;
          exchangeOr404(vhostName, name);
          const id = exchangeId(name);
          checkPermission(deps, principalOf(request), vhostName, 'configure', 'exchange', id);
          entities.deleteExchange(vhostName, id, flag(request.query, 'if-unused'));
          return reply.code(204).send();
        },
      },
      {
        all: { onRequest: gate, schema: { params: vhostNameParams } },
        GET: { schema: { response: ok(exchangeJson) } },
        PUT: { schema: { body: exchangeBody } },
      },
    );

    for (const side of ['source', 'destination'] as const) {
      resource<{ Params: { vhost: string; name: string } }>(
        app,
        `/exchanges/:vhost/:name/bindings/${side}`,
        {
          GET: async (request) => {
            const { vhost: vhostName, name } = request.params;
            vhostOr404(deps, vhostName);
            const items = entities.exchangeBindings(vhostName, exchangeId(name), side);
            if (items === undefined) throw Errors.objectNotFound();
            return applyListing(items, parseListQuery(request.query), []);
          },
        },
        { all: { onRequest: gate, schema: { params: vhostNameParams, response: ok(listOf(bindingJson)) } } },
      );
    }
  };
}
