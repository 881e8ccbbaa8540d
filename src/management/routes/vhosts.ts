import type { FastifyPluginAsync } from 'fastify';
import { canSeeVhost, principalOf, requireAdmin } from '../auth';
import type { ManagementDeps } from '../deps';
import { Errors } from '../errors';
import { applyListing, parseListQuery } from '../listing';
import { parseRanges } from '../../observability/history';
import { listOf, ok } from '../schemas/common';
import { vhostBody, vhostJson, type VhostBody } from '../schemas/entities';
import { permissionJson } from '../schemas/access';
import { parseTags, resource, vhostOr404, vhostParams } from '../support';


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
        return applyListing(items, parseListQuery(request.query), ['name']);
      },
    }, { all: { schema: { response: ok(listOf(vhostJson)) } } });

    resource<{ Params: { vhost: string }; Body: VhostBody }>(
      app,
      '/vhosts/:vhost',
      {
        GET: async (request) => show(request.params.vhost, request.query),
        PUT: async (request, reply) => {
          const { vhost } = request.params;
          const body = request.body;
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
          const { vhost } = request.params;
          vhostOr404(deps, vhost);
          entities.delete(vhost);
          return reply.code(204).send();
        },
      },
      {
        all: { onRequest: requireAdmin, schema: { params: vhostParams } },
        GET: { schema: { response: ok(vhostJson) } },
        PUT: { schema: { body: vhostBody } },
      },
    );

    resource<{ Params: { vhost: string } }>(
      app,
      '/vhosts/:vhost/permissions',
      {
        GET: async (request) => {
          const { vhost } = request.params;
          vhostOr404(deps, vhost);
          const items = users.permissions({ vhost });
          return applyListing(items, parseListQuery(request.query), ['vhost', 'user']);
        },
      },
      { all: { onRequest: requireAdmin, schema: { params: vhostParams, response: ok(listOf(permissionJson)) } } },
    );
  };
}
