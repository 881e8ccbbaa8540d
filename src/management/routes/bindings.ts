import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Binding } from '../../vhost/bindings';
import type { VirtualHost } from '../../vhost/vhost';
import { canSeeVhost, checkPermission, principalOf, vhostGate, type Principal } from '../auth';
import type { ManagementDeps } from '../deps';
import { Errors } from '../errors';
import { defaultBinding, formatBinding, jsonToFieldTable, propertiesKey, type BindingJson } from '../format';
import { applyListing, parseListQuery } from '../listing';
import { argumentsSchema, bodyOf, exchangeId, MANAGEMENT_OWNER, resource, vhostOr404, vhostParams } from '../support';

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

const bindingBody = {
  type: 'object',
  properties: { routing_key: { type: 'string' }, arguments: argumentsSchema },
} as const;

/** Every binding of a vhost, with the implicit default-exchange binding of each queue first, as RabbitMQ lists. */
function vhostBindings(vhost: VirtualHost): BindingJson[] {
  const items: BindingJson[] = [];
  for (const queue of vhost.queues.values()) items.push(defaultBinding(vhost.name, queue.name));
  for (const binding of vhost.bindings.all()) items.push(formatBinding(vhost.name, binding));
  return items;
}

/** /api/bindings: lists, the bindings between a source and a destination, create (201 + Location), GET/DELETE one. */
export function bindingRoutes(deps: ManagementDeps): FastifyPluginAsync {
  const gate = vhostGate(deps);

  /** The bindings from source to destination (the default exchange's implicit one included); 404 if either is missing. */
  const between = (p: PairParams): { vhost: VirtualHost; items: Array<{ json: BindingJson; binding?: Binding }> } => {
    const vhost = vhostOr404(deps, p.vhost);
    const sourceName = exchangeId(p.source);
    const source = vhost.exchanges.get(sourceName);
    const destination = p.dtype === 'q' ? vhost.queues.get(p.destination) : vhost.exchanges.get(exchangeId(p.destination));
    if (source === undefined || destination === undefined) throw Errors.objectNotFound();
    const items: Array<{ json: BindingJson; binding?: Binding }> = [];
    if (sourceName === '' && p.dtype === 'q') items.push({ json: defaultBinding(vhost.name, destination.name) });
    for (const binding of vhost.bindings.fromSource(source)) {
      if (binding.destination === destination) items.push({ json: formatBinding(vhost.name, binding), binding });
    }
    return { vhost, items };
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
        const items: BindingJson[] = [];
        for (const { record, vhost } of deps.vhosts.list()) {
          if (canSeeVhost(deps, principal, record.name)) items.push(...vhostBindings(vhost));
        }
        return applyListing(items, parseListQuery(request.query as Record<string, unknown>), []);
      },
    });

    resource(
      app,
      '/bindings/:vhost',
      {
        GET: async (request) => {
          const vhost = vhostOr404(deps, (request as FastifyRequest<{ Params: { vhost: string } }>).params.vhost);
          return applyListing(vhostBindings(vhost), parseListQuery(request.query as Record<string, unknown>), []);
        },
      },
      { all: { onRequest: gate, schema: { params: vhostParams } } },
    );

    resource(
      app,
      '/bindings/:vhost/e/:source/:dtype/:destination',
      {
        GET: async (request) => {
          const { items } = between((request as FastifyRequest<{ Params: PairParams }>).params);
          return applyListing(
            items.map((i) => i.json),
            parseListQuery(request.query as Record<string, unknown>),
            [],
          );
        },
        POST: async (request, reply) => {
          const p = (request as FastifyRequest<{ Params: PairParams }>).params;
          const { vhost } = between(p);
          const body = bodyOf(request);
          const routingKey = typeof body.routing_key === 'string' ? body.routing_key : '';
          const args = jsonToFieldTable(body.arguments);
          checkBindingAccess(principalOf(request), p);
          const source = exchangeId(p.source);
          if (p.dtype === 'q') vhost.bindQueue(p.destination, source, routingKey, args, MANAGEMENT_OWNER);
          else vhost.bindExchange(exchangeId(p.destination), source, routingKey, args);
          const location = ['/api/bindings', p.vhost, 'e', p.source, p.dtype, p.destination, propertiesKey(routingKey, args)]
            .map((segment, i) => (i === 0 ? segment : encodeURIComponent(segment)))
            .join('/');
          return reply.code(201).header('location', location).send();
        },
      },
      {
        all: { onRequest: gate, schema: { params: pairParams } },
        POST: { onRequest: gate, schema: { params: pairParams, body: bindingBody } },
      },
    );

    resource(
      app,
      '/bindings/:vhost/e/:source/:dtype/:destination/:props',
      {
        GET: async (request) => {
          const p = (request as FastifyRequest<{ Params: BindingParams }>).params;
          const found = between(p).items.find((i) => i.json.properties_key === p.props);
          if (found === undefined) throw Errors.objectNotFound();
          return found.json;
        },
        DELETE: async (request, reply) => {
          const p = (request as FastifyRequest<{ Params: BindingParams }>).params;
          const { vhost, items } = between(p);
          const found = items.find((i) => i.json.properties_key === p.props);
          if (found === undefined) throw Errors.objectNotFound();
          const { binding } = found;
          if (binding === undefined) throw Errors.accessRefused();
          checkBindingAccess(principalOf(request), p);
          if (binding.destinationKind === 'queue') {
            vhost.unbindQueue(binding.destination.name, binding.source.name, binding.routingKey, binding.arguments, MANAGEMENT_OWNER);
          } else {
            vhost.unbindExchange(binding.destination.name, binding.source.name, binding.routingKey, binding.arguments);
          }
          return reply.code(204).send();
        },
      },
      { all: { onRequest: gate, schema: { params: bindingParams } } },
    );
  };
}
