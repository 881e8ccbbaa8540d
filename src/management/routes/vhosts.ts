import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { canSeeVhost, principalOf, requireAdmin } from '../auth';
import type { ManagementDeps } from '../deps';
import { formatPermission, formatVhost } from '../format';
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
  const show = (name: string, query: unknown): Record<string, unknown> => {
    const vhost = vhostOr404(deps, name);
    const record = deps.vhosts.record(name);
    if (record === undefined) throw new Error('vhost without a record');
    const options = { ranges: parseRanges(query), now: Date.now() };
    return { ...formatVhost(record, vhost, options), cluster_state: { [deps.node.name]: 'running' } };
  };
  return async (app) => {
    resource(app, '/vhosts', {
      GET: async (request) => {
        const principal = principalOf(request);
        const options = { ranges: parseRanges(request.query), now: Date.now() };
        const items = deps.vhosts
          .list()
          .filter(({ record }) => canSeeVhost(deps, principal, record.name))
          .map(({ record, vhost }) => ({ ...formatVhost(record, vhost, options), cluster_state: { [deps.node.name]: 'running' } }));
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
          const existing = deps.vhosts.record(vhost);
          const defaultQueueType = body.default_queue_type ?? body.defaultqueuetype ?? existing?.defaultQueueType;
          const created = deps.vhosts.put({
            name: vhost,
            description: typeof body.description === 'string' ? body.description : (existing?.description ?? ''),
            tags: body.tags === undefined ? (existing?.tags ?? []) : parseTags(body.tags),
            ...(typeof defaultQueueType === 'string' ? { defaultQueueType } : {}),
          });
          // RabbitMQ (rabbit_vhost:put_vhost) grants the internal user who creates a vhost ".*" ".*" ".*" on it.
          const creator = principalOf(request).name;
          if (created && deps.access.getUser(creator) !== undefined) {
            deps.access.setPermission({ user: creator, vhost, configure: '.*', write: '.*', read: '.*' });
          }
          return reply.code(created ? 201 : 204).send();
        },
        DELETE: async (request, reply) => {
          const { vhost } = (request as VhostRequest).params;
          vhostOr404(deps, vhost);
          deps.vhosts.delete(vhost);
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
          const items = deps.access
            .listPermissions()
            .filter((p) => p.vhost === vhost)
            .map(formatPermission);
          return applyListing(items, parseListQuery(request.query as Record<string, unknown>), ['vhost', 'user']);
        },
      },
      { all: { onRequest: requireAdmin, schema: { params: vhostParams } } },
    );
  };
}
