import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { canSeeVhost, checkPermission, principalOf, vhostGate } from '../auth';
import type { ManagementDeps } from '../deps';
import { Errors } from '../errors';
import { jsonToFieldTable } from '../format';
import { applyListing, parseListQuery } from '../listing';
import {
  argumentsSchema,
  bodyOf,
  bool,
  booleanish,
  exchangeId,
  flag,
  resource,
  vhostNameParams,
  vhostOr404,
  vhostParams,
} from '../support';

const exchangeBody = {
  type: 'object',
  properties: {
    type: { type: 'string', minLength: 1 },
    durable: booleanish,
    auto_delete: booleanish,
    internal: booleanish,
    arguments: argumentsSchema,
  },
} as const;

type VhostRequest = FastifyRequest<{ Params: { vhost: string } }>;
type ExchangeRequest = FastifyRequest<{ Params: { vhost: string; name: string } }>;

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
        return applyListing(items, parseListQuery(request.query as Record<string, unknown>));
      },
    });

    resource(
      app,
      '/exchanges/:vhost',
      {
        GET: async (request) => {
          const items = entities.exchangesOf((request as VhostRequest).params.vhost);
          if (items === undefined) throw Errors.objectNotFound();
          return applyListing(items, parseListQuery(request.query as Record<string, unknown>));
        },
      },
      { all: { onRequest: gate, schema: { params: vhostParams } } },
    );

    resource(
      app,
      '/exchanges/:vhost/:name',
      {
        GET: async (request) => {
          const { vhost, name } = (request as ExchangeRequest).params;
          // Per-channel (incoming) and per-queue (outgoing) rates exist only in RabbitMQ's rates_mode=detailed; in
          // its default, basic, the lists are empty, and its web UI's exchange page needs them to be there.
          return { ...exchangeOr404(vhost, name), incoming: [], outgoing: [] };
        },
        PUT: async (request, reply) => {
          const { vhost: vhostName, name } = (request as ExchangeRequest).params;
          vhostOr404(deps, vhostName);
          const body = bodyOf(request);
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
          const { vhost: vhostName, name } = (request as ExchangeRequest).params;
          exchangeOr404(vhostName, name);
          const id = exchangeId(name);
          checkPermission(deps, principalOf(request), vhostName, 'configure', 'exchange', id);
          entities.deleteExchange(vhostName, id, flag(request.query, 'if-unused'));
          return reply.code(204).send();
        },
      },
      {
        all: { onRequest: gate, schema: { params: vhostNameParams } },
        PUT: { onRequest: gate, schema: { params: vhostNameParams, body: exchangeBody } },
      },
    );

    for (const side of ['source', 'destination'] as const) {
      resource(
        app,
        `/exchanges/:vhost/:name/bindings/${side}`,
        {
          GET: async (request) => {
            const { vhost: vhostName, name } = (request as ExchangeRequest).params;
            vhostOr404(deps, vhostName);
            const items = entities.exchangeBindings(vhostName, exchangeId(name), side);
            if (items === undefined) throw Errors.objectNotFound();
            return applyListing(items, parseListQuery(request.query as Record<string, unknown>), []);
          },
        },
        { all: { onRequest: gate, schema: { params: vhostNameParams } } },
      );
    }
  };
}
