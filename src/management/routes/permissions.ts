import type { FastifyPluginAsync } from 'fastify';
import { requireAdmin } from '../auth';
import type { ManagementDeps } from '../deps';
import { Errors } from '../errors';
import { applyListing, parseListQuery } from '../listing';
import { listOf, ok } from '../schemas/common';
import { permissionBody, permissionJson, type PermissionBody } from '../schemas/access';
import { resource } from '../support';

const params = {
  type: 'object',
  properties: { vhost: { type: 'string' }, user: { type: 'string', minLength: 1 } },
  required: ['vhost', 'user'],
} as const;

/** /api/permissions (administrators only). PUT needs configure, write and read, as RabbitMQ. */
export function permissionRoutes(deps: ManagementDeps): FastifyPluginAsync {
  const { entities, users } = deps.admin;
  return async (app) => {
    resource(
      app,
      '/permissions',
      {
        GET: async (request) =>
          applyListing(
            users.permissions(),
            parseListQuery(request.query),
            ['vhost', 'user'],
          ),
      },
      { all: { onRequest: requireAdmin, schema: { response: ok(listOf(permissionJson)) } } },
    );

    resource<{ Params: { vhost: string; user: string }; Body: PermissionBody }>(
      app,
      '/permissions/:vhost/:user',
      {
        GET: async (request) => {
          const { vhost, user } = request.params;
          const permission = users.permission(user, vhost);
          if (permission === undefined) throw Errors.objectNotFound();
          return permission;
        },
        PUT: async (request, reply) => {
          const { vhost, user } = request.params;
          const { configure, write, read } = request.body;
          if (configure === undefined) throw Errors.keyMissing('configure');
          if (write === undefined) throw Errors.keyMissing('write');
          if (read === undefined) throw Errors.keyMissing('read');
          if (!entities.has(vhost)) throw Errors.notFound('vhost_not_found');
          if (!users.has(user)) throw Errors.notFound('user_not_found');
          let created: boolean;
          try {
            created = users.setPermission({
              user,
              vhost,
              configure,
              write,
              read,
            });
          } catch (err) {
            throw Errors.badRequest((err as Error).message);
          }
          return reply.code(created ? 201 : 204).send();
        },
        DELETE: async (request, reply) => {
          const { vhost, user } = request.params;
          if (!users.deletePermission(user, vhost)) throw Errors.objectNotFound();
          return reply.code(204).send();
        },
      },
      {
        all: { onRequest: requireAdmin, schema: { params } },
        GET: { schema: { response: ok(permissionJson) } },
        PUT: { schema: { body: permissionBody } },
      },
    );
  };
}
