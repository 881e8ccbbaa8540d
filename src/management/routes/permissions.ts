import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { requireAdmin } from '../auth';
import type { ManagementDeps } from '../deps';
import { Errors } from '../errors';
import { applyListing, parseListQuery } from '../listing';
import { bodyOf, resource } from '../support';

const params = {
  type: 'object',
  properties: { vhost: { type: 'string' }, user: { type: 'string', minLength: 1 } },
  required: ['vhost', 'user'],
} as const;

const body = {
  type: 'object',
  properties: { configure: { type: 'string' }, write: { type: 'string' }, read: { type: 'string' } },
} as const;

type PermissionRequest = FastifyRequest<{ Params: { vhost: string; user: string } }>;

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
            parseListQuery(request.query as Record<string, unknown>),
            ['vhost', 'user'],
          ),
      },
      { all: { onRequest: requireAdmin } },
    );

    resource(
      app,
      '/permissions/:vhost/:user',
      {
        GET: async (request) => {
          const { vhost, user } = (request as PermissionRequest).params;
          const permission = users.permission(user, vhost);
          if (permission === undefined) throw Errors.objectNotFound();
          return permission;
        },
        PUT: async (request, reply) => {
          const { vhost, user } = (request as PermissionRequest).params;
          const values = bodyOf(request);
          for (const key of ['configure', 'write', 'read'] as const) {
            if (typeof values[key] !== 'string') throw Errors.keyMissing(key);
          }
          if (!entities.has(vhost)) throw Errors.notFound('vhost_not_found');
          if (!users.has(user)) throw Errors.notFound('user_not_found');
          let created: boolean;
          try {
            created = users.setPermission({
              user,
              vhost,
              configure: values.configure as string,
              write: values.write as string,
              read: values.read as string,
            });
          } catch (err) {
            throw Errors.badRequest((err as Error).message);
          }
          return reply.code(created ? 201 : 204).send();
        },
        DELETE: async (request, reply) => {
          const { vhost, user } = (request as PermissionRequest).params;
          if (!users.deletePermission(user, vhost)) throw Errors.objectNotFound();
          return reply.code(204).send();
        },
      },
      { all: { onRequest: requireAdmin, schema: { params } }, PUT: { onRequest: requireAdmin, schema: { params, body } } },
    );
  };
}
