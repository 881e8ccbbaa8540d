import type { FastifyPluginAsync } from 'fastify';
import type { BindingEnds, BindingItem } from '../../admin/entities';
import { canSeeVhost, checkPermission, principalOf, vhostGate, type Principal } from '../auth';
import type { ManagementDeps } from '../deps';
import { Errors } from '../errors';
import { jsonToFieldTable } from '../request-json';
import { applyListing, parseListQuery } from '../listing';
import { listOf, ok } from '../schemas/common';
import { bindingBody, bindingJson, type BindingBody } from '../schemas/entities';
import { exchangeId, resource, vhostParams } from '../support';

interface PairParams {
  vhost: string;
  source: string;
  dtype: 'q' | 'e';
  destination: string;
}
interface BindingParams extends PairParams {
  props: string;
}

const pairParams = {
  type: 'object',
  properties: {
    vhost: { type: 'string' },
    source: { type: 'string' },
    dtype: { type: 'string', enum: ['q', 'e'] },
    destination: { type: 'string' },
  },
  required: ['vhost', 'source', 'dtype', 'destination'],
} as const;

const bindingParams = {
  ...pairParams,
  properties: { ...pairParams.properties, props: { type: 'string' } },
  required: [...pairParams.required, 'props'],
} as const;

const bindingList = ok(listOf(bindingJson));

/** /api/bindings: lists, the bindings between a source and a destination, create (201 + Location), GET/DELETE one. */
export function bindingRoutes(deps: ManagementDeps): FastifyPluginAsync {
  const gate = vhostGate(deps);

  const { entities } = deps.admin;
  /** The path's ends with amq.default as the default exchange. */
  const endsOf = (p: PairParams): BindingEnds => ({
    source: exchangeId(p.source),
    destinationType: p.dtype,
    destination: p.dtype === 'q' ? p.destination : exchangeId(p.destination),
  });
  /** The bindings from source to destination (the default exchange's implicit one included); 404 if either is missing. */
  const between = (p: PairParams): BindingItem[] => {
    const items = entities.between(p.vhost, endsOf(p));
    if (items === undefined) throw Errors.objectNotFound();
    return items;
  };

  const checkBindingAccess = (principal: Principal, p: PairParams): void => {
    const destination = p.dtype === 'q' ? p.destination : exchangeId(p.destination);
    checkPermission(deps, principal, p.vhost, 'write', p.dtype === 'q' ? 'queue' : 'exchange', destination);
    checkPermission(deps, principal, p.vhost, 'read', 'exchange', exchangeId(p.source));
  };

  return async (app) => {
    resource(app, '/bindings', {
      GET: async (request) => {
        const principal = principalOf(request);
        const items = entities.bindings((vhost) => canSeeVhost(deps, principal, vhost));
        return applyListing(items, parseListQuery(request.query), []);
      },
    }, { all: { schema: { response: bindingList } } });

    resource<{ Params: { vhost: string } }>(
      app,
      '/bindings/:vhost',
      {
        GET: async (request) => {
          const items = entities.bindingsOf(request.params.vhost);
          if (items === undefined) throw Errors.objectNotFound();
          return applyListing(items, parseListQuery(request.query), []);
        },
      },
      { all: { onRequest: gate, schema: { params: vhostParams, response: bindingList } } },
    );

    resource<{ Params: PairParams; Body: BindingBody }>(
      app,
      '/bindings/:vhost/e/:source/:dtype/:destination',
      {
        GET: async (request) => {
          const items = between(request.params);
          return applyListing(
            items.map((i) => i.json),
            parseListQuery(request.query),
            [],
          );
        },
        POST: async (request, reply) => {
          const p = request.params;
          between(p);
          const body = request.body;
          const routingKey = typeof body.routing_key === 'string' ? body.routing_key : '';
          const args = jsonToFieldTable(body.arguments);
          checkBindingAccess(principalOf(request), p);
          const key = entities.bind(p.vhost, endsOf(p), routingKey, args);
          const location = ['/api/bindings', p.vhost, 'e', p.source, p.dtype, p.destination, key]
            .map((segment, i) => (i === 0 ? segment : encodeURIComponent(segment)))
            .join('/');
          return reply.code(201).header('location', location).send();
        },
      },
      {
        all: { onRequest: gate, schema: { params: pairParams } },
        GET: { schema: { response: bindingList } },
        POST: { schema: { body: bindingBody } },
      },
    );

    resource<{ Params: BindingParams }>(
      app,
      '/bindings/:vhost/e/:source/:dtype/:destination/:props',
      {
        GET: async (request) => {
          const p = request.params;
          const found = between(p).find((i) => i.json.properties_key === p.props);
          if (found === undefined) throw Errors.objectNotFound();
          return found.json;
        },
        DELETE: async (request, reply) => {
          const p = request.params;
          const found = between(p).find((i) => i.json.properties_key === p.props);
          if (found === undefined) throw Errors.objectNotFound();
          if (!found.removable) throw Errors.accessRefused();
          checkBindingAccess(principalOf(request), p);
          entities.unbind(p.vhost, endsOf(p), p.props);
          return reply.code(204).send();
        },
      },
      { all: { onRequest: gate, schema: { params: bindingParams } }, GET: { schema: { response: ok(bindingJson) } } },
    );
  };
}
