import type { FastifyPluginAsync } from 'fastify';
import type { ManagementDeps } from '../deps';
import { object, ok } from '../schemas/common';
import { resource } from '../support';
import { PUBLIC_ROUTE } from './metrics';

/**
 * GET /api/leveret/ha (Leveret's own, no authentication, like RabbitMQ's /api/auth): this node's role in its
 * active/standby group, the epoch it leads with, the leader and every node it knows of. A standby answers the same
 * path from its own small server (ha/standby-http.ts), so a script or a load balancer asks any node the same way.
 * A node on SQLite is a group of one: always active, epoch 0.
 */
export function haRoutes(deps: ManagementDeps): FastifyPluginAsync {
  const single = (): Record<string, unknown> => ({
    node: deps.node.name,
    role: 'active',
    epoch: 0,
    leader: null,
    store: 'sqlite',
    nodes: [],
  });
  return async (app) => {
    resource(app, '/leveret/ha', { GET: async () => deps.node.ha?.status() ?? single() }, { all: { config: PUBLIC_ROUTE, schema: { response: ok(object({})) } } });
  };
}
