import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { principalOf, vhostGate } from '../auth';
import type { ManagementDeps } from '../deps';
import { Errors } from '../errors';
import { applyListing, parseListQuery } from '../listing';
import { resource, vhostOr404, vhostParams } from '../support';
import { seesConnectionsOf } from './connections';

type NameRequest = FastifyRequest<{ Params: { name: string } }>;

/** /api/channels, /api/vhosts/{vh}/channels, /api/channels/{name}, /api/connections/{name}/channels. */
export function channelRoutes(deps: ManagementDeps): FastifyPluginAsync {
  const gate = vhostGate(deps);
  const { connections } = deps.admin;
  const list = (request: FastifyRequest, items: Record<string, unknown>[]) =>
    applyListing(items, parseListQuery(request.query as Record<string, unknown>));
  return async (app) => {
    resource(app, '/channels', {
      GET: async (request) => list(request, connections.channels(seesConnectionsOf(principalOf(request)))),
    });

    resource(app, '/channels/:name', {
      GET: async (request) => {
        const { name } = (request as NameRequest).params;
        const channel = connections.channel(name);
        if (channel === undefined) throw Errors.objectNotFound();
        if (!seesConnectionsOf(principalOf(request))(channel.user)) throw Errors.objectForbidden();
        return channel.view();
      },
    });

    resource(
      app,
      '/vhosts/:vhost/channels',
      {
        GET: async (request) => {
          const { vhost } = (request as FastifyRequest<{ Params: { vhost: string } }>).params;
          vhostOr404(deps, vhost);
          return list(request, connections.channels(seesConnectionsOf(principalOf(request)), vhost));
        },
      },
      { all: { onRequest: gate, schema: { params: vhostParams } } },
    );

    resource(app, '/connections/:name/channels', {
      GET: async (request) => {
        const { name } = (request as NameRequest).params;
        const connection = connections.channelsOfConnection(name);
        if (connection === undefined) throw Errors.objectNotFound();
        const sees = seesConnectionsOf(principalOf(request));
        if (!sees(connection.user)) throw Errors.objectForbidden();
        return list(request, connection.list(sees));
      },
    });
  };
}
