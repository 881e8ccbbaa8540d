import type { FastifyPluginAsync } from 'fastify';
import { principalOf, type Principal } from '../auth';
import type { ManagementDeps } from '../deps';
import { applyListing, parseListQuery } from '../listing';
import { consumerJson } from '../schemas/broker';
import { listOf, ok } from '../schemas/common';
import { resource, vhostOr404, vhostParams } from '../support';

const response = ok(listOf(consumerJson));
import { seesConnectionsOf } from './connections';

const CONSUMER_SORT = ['queue.vhost', 'queue.name', 'consumer_tag'] as const;

/**
 * /api/consumers and /api/consumers/{vh} (rabbit_mgmt_wm_consumers): any management user; monitoring users and
 * administrators see every consumer, others only those on their own connections (filter_user). The per-vhost list
 * is not gated on the vhost either: it is filtered the same way.
 */
export function consumerRoutes(deps: ManagementDeps): FastifyPluginAsync {
  const consumers = (principal: Principal, vhost: string | undefined): Record<string, unknown>[] =>
    deps.admin.connections.consumers(seesConnectionsOf(principal), vhost);
  return async (app) => {
    resource(app, '/consumers', {
      GET: async (request) =>
        applyListing(consumers(principalOf(request), undefined), parseListQuery(request.query), CONSUMER_SORT),
    }, { all: { schema: { response } } });

    resource<{ Params: { vhost: string } }>(
      app,
      '/consumers/:vhost',
      {
        GET: async (request) => {
          const { vhost } = request.params;
          vhostOr404(deps, vhost);
          return applyListing(consumers(principalOf(request), vhost), parseListQuery(request.query), CONSUMER_SORT);
        },
      },
      { all: { schema: { params: vhostParams, response } } },
    );
  };
}
