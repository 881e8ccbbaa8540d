import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { requireAdmin } from '../auth';
import { parseJsonBody } from '../body';
import { DefinitionsError } from '../../admin/definitions';
import { multipartFile } from '../multipart';
import { noteAuditDetails } from '../audit-hook';
import type { ManagementDeps } from '../deps';
import { Errors } from '../errors';
import { definitionsJson } from '../schemas/broker';
import { namedFields, ok } from '../schemas/common';
import { resource, vhostOr404, vhostParams } from '../support';

/** `?download=<file name>`: an attachment. */
interface DownloadQuery {
  download?: unknown;
  auth?: unknown;
}

const downloadQuery = namedFields(['download', 'auth']);
/** A definitions document, or (multipart/form-data) the upload's text. */
const documentBody = { anyOf: [{ type: 'object' }, { type: 'string' }] } as const;

const schemas = {
  GET: { schema: { querystring: downloadQuery, response: ok(definitionsJson) } },
  POST: { schema: { querystring: downloadQuery, body: documentBody } },
};

/**
 * /api/definitions[/{vhost}] (administrators only): GET exports RabbitMQ's definitions file (`?download=<name>`
 * makes it an attachment), POST imports one, as a JSON body or as the web UI uploads it (multipart/form-data with a
 * `file` field), and answers 204 once it is stored. Both take `?auth=<base64 user:password>` in place of the
 * Authorization header (auth.ts), as RabbitMQ's UI sends it. /api/all-configuration is RabbitMQ's deprecated alias.
 */
export function definitionRoutes(deps: ManagementDeps): FastifyPluginAsync {
  const product = { product: deps.node.product, version: deps.node.version };
  const importing = async (request: FastifyRequest, reply: FastifyReply, vhost?: string): Promise<FastifyReply> => {
    const body = uploaded(request);
    try {
      noteAuditDetails(request, { ...(await deps.admin.importDefinitions(body, vhost)) });
    } catch (err) {
      if (err instanceof DefinitionsError) throw Errors.badRequest(err.message);
      throw err;
    }
    return reply.code(204).send();
  };
  return async (app) => {
    // Only here (this plugin's routes) is a multipart body read; csrf.ts lets it through for POST /api/definitions.
    app.addContentTypeParser('multipart/form-data', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    for (const url of ['/definitions', '/all-configuration']) {
      resource<{ Querystring: DownloadQuery }>(
        app,
        url,
        {
          GET: async (request, reply) => {
            download(request, reply);
            return deps.admin.exportDefinitions(product);
          },
          POST: async (request, reply) => importing(request, reply),
        },
        { all: { onRequest: requireAdmin }, ...schemas },
      );
    }

    resource<{ Params: { vhost: string }; Querystring: DownloadQuery }>(
      app,
      '/definitions/:vhost',
      {
        GET: async (request, reply) => {
          const { vhost } = request.params;
          vhostOr404(deps, vhost);
          download(request, reply);
          return deps.admin.exportVhostDefinitions(vhost, product);
        },
        POST: async (request, reply) => {
          const { vhost } = request.params;
          vhostOr404(deps, vhost);
          return importing(request, reply, vhost);
        },
      },
      { all: { onRequest: requireAdmin, schema: { params: vhostParams } }, ...schemas },
    );
  };
}

/** The document a POST carries: the JSON body, or the `file` field of a multipart/form-data upload, parsed. */
function uploaded(request: FastifyRequest): unknown {
  const type = request.headers['content-type'] ?? '';
  if (!/^\s*multipart\/form-data/i.test(type)) return request.body;
  const file = typeof request.body === 'string' ? multipartFile(request.body, type) : undefined;
  if (file === undefined) throw Errors.badRequest('the upload has no file field');
  // Decoded as a JSON body is (RabbitMQ's decode, the nesting bound): an upload is no way around either.
  return parseJsonBody(file);
}

/** `?download=<file name>` asks for an attachment, as the management UI's "Download broker definitions" does. */
function download(request: FastifyRequest<{ Querystring: DownloadQuery }>, reply: FastifyReply): void {
  const name = request.query.download;
  if (typeof name !== 'string' || name === '') return;
  const safe = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  void reply.header('content-disposition', `attachment; filename="${safe}"`);
}
