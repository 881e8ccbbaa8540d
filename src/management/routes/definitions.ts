import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { requireAdmin } from '../auth';
import { DefinitionsError, exportDefinitions, exportVhostDefinitions, importDefinitions } from '../definitions';
import type { ManagementDeps } from '../deps';
import { Errors } from '../errors';
import { resource, vhostOr404, vhostParams } from '../support';

type VhostRequest = FastifyRequest<{ Params: { vhost: string } }>;

/**
 * /api/definitions[/{vhost}] (administrators only): GET exports RabbitMQ's definitions file, POST imports one (JSON
 * body; RabbitMQ's multipart upload with a `file` field is not supported) and answers 204 once it is stored.
 * /api/all-configuration is RabbitMQ's deprecated alias of /api/definitions.
 */
export function definitionRoutes(deps: ManagementDeps): FastifyPluginAsync {
  const product = { product: deps.node.product, version: deps.node.version };
  const importing = async (body: unknown, reply: FastifyReply, vhost?: string): Promise<FastifyReply> => {
    try {
      importDefinitions(deps, body, vhost === undefined ? {} : { vhost });
    } catch (err) {
      if (err instanceof DefinitionsError) throw Errors.badRequest(err.message);
      throw err;
    }
    await deps.store.flush();
    return reply.code(204).send();
  };
  return async (app) => {
    for (const url of ['/definitions', '/all-configuration']) {
      resource(
        app,
        url,
        {
          GET: async (request, reply) => {
            download(request, reply);
            return exportDefinitions(deps, product);
          },
          POST: async (request, reply) => importing(request.body, reply),
        },
        { all: { onRequest: requireAdmin } },
      );
    }

    resource(
      app,
      '/definitions/:vhost',
      {
        GET: async (request, reply) => {
          const vhost = vhostOr404(deps, (request as VhostRequest).params.vhost);
          download(request, reply);
          return exportVhostDefinitions(deps, vhost, product);
        },
        POST: async (request, reply) => {
          const vhost = vhostOr404(deps, (request as VhostRequest).params.vhost);
          return importing(request.body, reply, vhost.name);
        },
      },
      { all: { onRequest: requireAdmin, schema: { params: vhostParams } } },
    );
  };
}

/** `?download=<file name>` asks for an attachment, as the management UI's "Download broker definitions" does. */
function download(request: FastifyRequest, reply: FastifyReply): void {
  const name = (request.query as Record<string, unknown> | undefined)?.download;
  if (typeof name !== 'string' || name === '') return;
  const safe = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  void reply.header('content-disposition', `attachment; filename="${safe}"`);
}
