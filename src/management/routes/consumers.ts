import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { canSeeVhost, principalOf, vhostGate } from '../auth';
import type { ManagementDeps } from '../deps';
import { applyListing, parseListQuery } from '../listing';
import { resource, vhostOr404, vhostParams } from '../support';
import { allChannels, formatConsumer } from './channels';

const CONSUMER_SORT = ['queue.vhost', 'queue.name', 'consumer_tag'] as const;

/**
 * /api/consumers and /api/consumers/{vh} (rabbit_mgmt_wm_consumers): every consumer on the vhosts the user may see,
 * whoever's connection it is on.
 */
export function consumerRoutes(deps: ManagementDeps): FastifyPluginAsync {
  const node = deps.node.name;
  const gate = vhostGate(deps);
  const consumers = (include: (vhost: string) => boolean): Record<string, unknown>[] => {
    const items: Record<string, unknown>[] = [];
    for (const entry of allChannels(deps)) {
      for (const consumer of entry.channel.consumers) {
        if (include(consumer.vhost)) items.push(formatConsumer(entry, consumer, node));
      }
    }
    return items;
  };
  return async (app) => {
    resource(app, '/consumers', {
      GET: async (request) => {
        const principal = principalOf(request);
        const items = consumers((vhost) => canSeeVhost(deps, principal, vhost));
        return applyListing(items, parseListQuery(request.query as Record<string, unknown>), CONSUMER_SORT);
      },
    });

    resource(
      app,
      '/consumers/:vhost',
      {
        GET: async (request) => {
          const { vhost } = (request as FastifyRequest<{ Params: { vhost: string } }>).params;
          vhostOr404(deps, vhost);
          const items = consumers((v) => v === vhost);
          return applyListing(items, parseListQuery(request.query as Record<string, unknown>), CONSUMER_SORT);
        },
      },
      { all: { onRequest: gate, schema: { params: vhostParams } } },
    );
  };
}
