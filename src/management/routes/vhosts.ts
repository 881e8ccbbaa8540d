import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { canSeeVhost, principalOf, requireAdmin } from '../auth';
import type { ManagementDeps } from '../deps';
import { Errors } from '../errors';
import { applyListing, parseListQuery } from '../listing';
import { parseRanges } from '../../observability/history';
import { bodyOf, parseTags, resource, vhostOr404, vhostParams } from '../support';

const vhostBody = {
  type: 'object',
  properties: {
    description: { type: 'string' },
    tags: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
    default_queue_type: { type: 'string' },
    defaultqueuetype: { type: 'string' },
    tracing: { anyOf: [{ type: 'boolean' }, { type: 'string' }] },
  },
} as const;

type VhostRequest = FastifyRequest<{ Params: { vhost: string } }>;

/** /api/vhosts: list (vhosts the user may see), and GET/PUT/DELETE one (administrators). */
export function vhostRoutes(deps: ManagementDeps): FastifyPluginAsync {
  const { entities, users } = deps.admin;
  const figures = (query: unknown) => ({ ranges: parseRanges(query), now: Date.now() });
  const show = (name: string, query: unknown): Record<string, unknown> => {
    const vhost = entities.show(name, figures(query));
    if (vhost === undefined) throw Errors.objectNotFound();
    return vhost;
  };
  return async (app) => {
    resource(app, '/vhosts', {
      GET: async (request) => {
        const principal = principalOf(request);
        const items = entities.list((vhost) => canSeeVhost(deps, principal, vhost), figures(request.query));
        return applyListing(items, parseListQuery(request.query as Record<string, unknown>), ['name']);
      },
    });

    resource(
      app,
      '/vhosts/:vhost',
      {
        GET: async (request) => show((request as VhostRequest).params.vhost, request.query),
        PUT: async (request, reply) => {
          const { vhost } = (request as VhostRequest).params;
          const body = bodyOf(request);
          const defaultQueueType = body.default_queue_type ?? body.defaultqueuetype;
          const created = entities.put(vhost, {
            ...(typeof body.description === 'string' ? { description: body.description } : {}),
            ...(body.tags === undefined ? {} : { tags: parseTags(body.tags) }),
            ...(typeof defaultQueueType === 'string' ? { defaultQueueType } : {}),
          });
          // RabbitMQ (rabbit_vhost:put_vhost) grants the internal user who creates a vhost ".*" ".*" ".*" on it.
          const creator = principalOf(request).name;
          if (created && users.has(creator)) {
            users.setPermission({ user: creator, vhost, configure: '.*', write: '.*', read: '.*' });
          }
          return reply.code(created ? 201 : 204).send();
        },
        DELETE: async (request, reply) => {
          const { vhost } = (request as VhostRequest).params;
          vhostOr404(deps, vhost);
          entities.delete(vhost);
          return reply.code(204).send();
        },
      },
      { all: { onRequest: requireAdmin, schema: { params: vhostParams } }, PUT: { schema: { params: vhostParams, body: vhostBody } } },
    );

    resource(
      app,
      '/vhosts/:vhost/permissions',
      {
        GET: async (request) => {
          const { vhost } = (request as VhostRequest).params;
          vhostOr404(deps, vhost);
          const items = users.permissions({ vhost });
          return applyListing(items, parseListQuery(request.query as Record<string, unknown>), ['vhost', 'user']);
        },
      },
      { all: { onRequest: requireAdmin, schema: { params: vhostParams } } },
    );
  };
}
