import type { FastifyPluginAsync } from 'fastify';
import type { Credentials } from '../../admin/users';
import { requireAdmin } from '../auth';
import type { ManagementDeps } from '../deps';
import { Errors } from '../errors';
import { applyListing, parseListQuery } from '../listing';
import { listOf, ok } from '../schemas/common';
import { bulkDeleteBody, permissionJson, userBody, userJson, type BulkDeleteBody, type UserBody } from '../schemas/access';
import { bool, parseTags, resource } from '../support';

const userParams = {
  type: 'object',
  properties: { user: { type: 'string', minLength: 1 } },
  required: ['user'],
} as const;

/**
 * A PUT's tags, as rabbit_auth_backend_internal:put_user reads them: `tags` ("a,b" or a list), else the legacy
 * `administrator` flag; neither is 400 tags_not_present, for a new user and an existing one alike.
 */
function tagsOf(body: UserBody): string[] {
  if (body.tags !== undefined) return parseTags(body.tags);
  if (body.administrator !== undefined) return bool(body.administrator, false) ? ['administrator'] : [];
  throw Errors.badRequest('tags_not_present');
}

/** /api/users (administrators only): list, GET/PUT/DELETE one, and a user's permissions. */
export function userRoutes(deps: ManagementDeps): FastifyPluginAsync {
  const admin = { all: { onRequest: requireAdmin, schema: { params: userParams } } };
  const { users } = deps.admin;
  const userList = ok(listOf(userJson));
  return async (app) => {
    resource(
      app,
      '/users',
      {
        GET: async (request) =>
          applyListing(users.list(), parseListQuery(request.query), ['name']),
      },
      { all: { onRequest: requireAdmin, schema: { response: userList } } },
    );

    resource(
      app,
      '/users/without-permissions',
      {
        GET: async (request) => {
          return applyListing(users.withoutPermissions(), parseListQuery(request.query), ['name']);
        },
      },
      { all: { onRequest: requireAdmin, schema: { response: userList } } },
    );

    // rabbit_mgmt_wm_users_bulk_delete: deletes in order and stops at the first unknown user with 400
    // reason ["no_such_user", name] (the users before it stay deleted), as RabbitMQ 3.10 answers.
    resource<{ Body: BulkDeleteBody }>(
      app,
      '/users/bulk-delete',
      {
        POST: async (request, reply) => {
          const names = request.body.users;
          if (names === undefined) throw Errors.keyMissing('users');
          for (const name of names) {
            if (!users.delete(name)) return reply.code(400).send({ error: 'bad_request', reason: ['no_such_user', name] });
          }
          return reply.code(204).send();
        },
      },
      { all: { onRequest: requireAdmin }, POST: { schema: { body: bulkDeleteBody } } },
    );

    resource<{ Params: { user: string }; Body: UserBody }>(
      app,
      '/users/:user',
      {
        GET: async (request) => {
          const user = users.show(request.params.user);
          if (user === undefined) throw Errors.objectNotFound();
          return user;
        },
        PUT: async (request, reply) => {
          const name = request.params.user;
          const body = request.body;
          let credentials: Credentials = {};
          if (typeof body.password === 'string') {
            credentials = { password: body.password };
          } else if (typeof body.password_hash === 'string') {
            const algorithm = typeof body.hashing_algorithm === 'string' ? body.hashing_algorithm : users.defaultHashingAlgorithm;
            if (!users.knowsHashingAlgorithm(algorithm)) throw Errors.badRequest(`unknown hashing algorithm: ${algorithm}`);
            if (body.password_hash !== '' && !/^[A-Za-z0-9+/]+={0,2}$/.test(body.password_hash)) {
              throw Errors.badRequest('password_hash is not valid base64');
            }
            credentials = { passwordHash: body.password_hash, hashingAlgorithm: algorithm };
          }
          const tags = tagsOf(body);
          const created = users.put(name, credentials, tags);
          return reply.code(created ? 201 : 204).send();
        },
        DELETE: async (request, reply) => {
          if (!users.delete(request.params.user)) throw Errors.objectNotFound();
          return reply.code(204).send();
        },
      },
      { ...admin, GET: { schema: { response: ok(userJson) } }, PUT: { schema: { body: userBody } } },
    );

    resource<{ Params: { user: string } }>(
      app,
      '/users/:user/permissions',
      {
        GET: async (request) => {
          const name = request.params.user;
          if (!users.has(name)) throw Errors.objectNotFound();
          const items = users.permissions({ user: name });
          return applyListing(items, parseListQuery(request.query), ['vhost', 'user']);
        },
      },
      { all: { ...admin.all, schema: { ...admin.all.schema, response: ok(listOf(permissionJson)) } } },
    );
  };
}
