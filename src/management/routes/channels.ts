import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { principalOf, vhostGate } from '../auth';
import type { ManagementDeps } from '../deps';
import { Errors } from '../errors';
import { applyListing, parseListQuery } from '../listing';
import { channelJson } from '../schemas/broker';
import { listOf, ok, params } from '../schemas/common';
import { resource, vhostOr404, vhostParams } from '../support';

const channelList = { all: { schema: { response: ok(listOf(channelJson)) } } };
import { seesConnectionsOf } from './connections';

/** /api/channels, /api/vhosts/{vh}/channels, /api/channels/{name}, /api/connections/{name}/channels. */
export function channelRoutes(deps: ManagementDeps): FastifyPluginAsync {
  const gate = vhostGate(deps);
  const { connections } = deps.admin;
  const list = (request: FastifyRequest, items: Record<string, unknown>[]) =>
    applyListing(items, parseListQuery(request.query));
  return async (app) => {
    resource(app, '/channels', {
      GET: async (request) => list(request, connections.channels(seesConnectionsOf(principalOf(request)))),
    }, channelList);

    resource<{ Params: { name: string } }>(app, '/channels/:name', {
      GET: async (request) => {
        const { name } = request.params;
        const channel = connections.channel(name);
        if (channel === undefined) throw Errors.objectNotFound();
        if (!seesConnectionsOf(principalOf(request))(channel.user)) throw Errors.objectForbidden();
        return channel.view();
      },
    }, { all: { schema: { params: params(['name']), response: ok(channelJson) } } });

    resource<{ Params: { vhost: string } }>(
      app,
      '/vhosts/:vhost/channels',
      {
        GET: async (request) => {
          const { vhost } = request.params;
          vhostOr404(deps, vhost);
          return list(request, connections.channels(seesConnectionsOf(principalOf(request)), vhost));
        },
      },
      { all: { onRequest: gate, schema: { params: vhostParams, ...channelList.all.schema } } },
    );

    resource<{ Params: { name: string } }>(app, '/connections/:name/channels', {
      GET: async (request) => {
        const { name } = request.params;
        const connection = connections.channelsOfConnection(name);
        if (connection === undefined) throw Errors.objectNotFound();
        const sees = seesConnectionsOf(principalOf(request));
        if (!sees(connection.user)) throw Errors.objectForbidden();
        return list(request, connection.list(sees));
      },
    }, { all: { schema: { params: params(['name']), ...channelList.all.schema } } });
  };
}
