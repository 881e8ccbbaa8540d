import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { principalOf } from '../auth';
import type { ConnectionInfo, ManagementDeps } from '../deps';
import { Errors } from '../errors';
import { formatConnection } from '../format';
import { applyListing, parseListQuery } from '../listing';
import { resource } from '../support';

const DEFAULT_CLOSE_REASON = 'Closed via management plugin';

/**
 * /api/connections (rabbit_mgmt_util is_authorized_user): monitoring users see every connection, others their
 * own; an administrator may close any, others their own.
 */
export function connectionRoutes(deps: ManagementDeps): FastifyPluginAsync {
  const node = deps.node.name;
  const find = (name: string): ConnectionInfo | undefined => {
    for (const c of deps.connections()) if (c.name === name) return c;
    return undefined;
  };
  return async (app) => {
    resource(app, '/connections', {
      GET: async (request) => {
        const principal = principalOf(request);
        const items: Record<string, unknown>[] = [];
        for (const c of deps.connections()) {
          if (principal.isMonitor || c.user === principal.name) items.push(formatConnection(c, node));
        }
        return applyListing(items, parseListQuery(request.query as Record<string, unknown>));
      },
    });

    resource(app, '/connections/:name', {
      GET: async (request) => {
        const principal = principalOf(request);
        const c = find((request as FastifyRequest<{ Params: { name: string } }>).params.name);
        if (c === undefined) throw Errors.objectNotFound();
        if (!principal.isMonitor && c.user !== principal.name) throw Errors.objectForbidden();
        return formatConnection(c, node);
      },
      DELETE: async (request, reply) => {
        const principal = principalOf(request);
        const c = find((request as FastifyRequest<{ Params: { name: string } }>).params.name);
        if (c === undefined) throw Errors.objectNotFound();
        if (!principal.isAdmin && c.user !== principal.name) throw Errors.objectForbidden();
        const header = request.headers['x-reason'];
        const reason = typeof header === 'string' && header !== '' ? header : DEFAULT_CLOSE_REASON;
        c.close(reason);
        return reply.code(204).send();
      },
    });

    resource(app, '/vhosts/:vhost/connections', {
      GET: async (request) => {
        const principal = principalOf(request);
        const { vhost } = (request as FastifyRequest<{ Params: { vhost: string } }>).params;
        if (deps.vhosts.get(vhost) === undefined) throw Errors.objectNotFound();
        const items: Record<string, unknown>[] = [];
        for (const c of deps.connections()) {
          if (c.vhost !== vhost) continue;
          if (principal.isMonitor || c.user === principal.name) items.push(formatConnection(c, node));
        }
        return applyListing(items, parseListQuery(request.query as Record<string, unknown>));
      },
    });
  };
}
