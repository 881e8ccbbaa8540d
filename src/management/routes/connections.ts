import type { FastifyPluginAsync } from 'fastify';
import { principalOf, type Principal } from '../auth';
import type { ManagementDeps } from '../deps';
import { Errors } from '../errors';
import { applyListing, parseListQuery } from '../listing';
import { connectionJson } from '../schemas/broker';
import { listOf, ok, params } from '../schemas/common';
import { resource } from '../support';

const connectionList = ok(listOf(connectionJson));

const DEFAULT_CLOSE_REASON = 'Closed via management plugin';

/** Monitoring users see every connection, others their own (rabbit_mgmt_util filter_conn_ch_list). */
export function seesConnectionsOf(principal: Principal): (user: string) => boolean {
  return (user) => principal.isMonitor || user === principal.name;
}

/**
 * /api/connections (rabbit_mgmt_util is_authorized_user): monitoring users see every connection, others their
 * own; an administrator may close any, others their own.
 */
export function connectionRoutes(deps: ManagementDeps): FastifyPluginAsync {
  const { connections, entities } = deps.admin;
  return async (app) => {
    resource(app, '/connections', {
      GET: async (request) => {
        const items = connections.list(seesConnectionsOf(principalOf(request)));
        return applyListing(items, parseListQuery(request.query));
      },
    }, { all: { schema: { response: connectionList } } });

    resource<{ Params: { name: string } }>(app, '/connections/:name', {
      GET: async (request) => {
        const principal = principalOf(request);
        const c = connections.find(request.params.name);
        if (c === undefined) throw Errors.objectNotFound();
        if (!principal.isMonitor && c.user !== principal.name) throw Errors.objectForbidden();
        return c.view();
      },
      DELETE: async (request, reply) => {
        const principal = principalOf(request);
        const { name } = request.params;
        const c = connections.find(name);
        if (c === undefined) throw Errors.objectNotFound();
        if (!principal.isAdmin && c.user !== principal.name) throw Errors.objectForbidden();
        const header = request.headers['x-reason'];
        const reason = typeof header === 'string' && header !== '' ? header : DEFAULT_CLOSE_REASON;
        connections.close(name, reason);
        return reply.code(204).send();
      },
    }, { all: { schema: { params: params(['name']) } }, GET: { schema: { response: ok(connectionJson) } } });

    resource<{ Params: { vhost: string } }>(app, '/vhosts/:vhost/connections', {
      GET: async (request) => {
        const { vhost } = request.params;
        if (!entities.has(vhost)) throw Errors.objectNotFound();
        const items = connections.list(seesConnectionsOf(principalOf(request)), vhost);
        return applyListing(items, parseListQuery(request.query));
      },
    }, { all: { schema: { params: params(['vhost']), response: connectionList } } });
  };
}
