import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { DEFAULT_HASHING_ALGORITHM, hashPassword, isKnownHashingAlgorithm } from '../../auth/passwords';
import { requireAdmin } from '../auth';
import type { ManagementDeps } from '../deps';
import { Errors } from '../errors';
import { formatPermission, formatUser } from '../format';
import { applyListing, parseListQuery } from '../listing';
import { bodyOf, bool, parseTags, resource } from '../support';

const userParams = {
  type: 'object',
  properties: { user: { type: 'string', minLength: 1 } },
  required: ['user'],
} as const;

const userBody = {
  type: 'object',
  properties: {
    password: { type: 'string' },
    password_hash: { type: 'string' },
    hashing_algorithm: { type: 'string' },
    tags: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
    administrator: { anyOf: [{ type: 'boolean' }, { type: 'string' }] },
  },
} as const;

const bulkDeleteBody = {
  type: 'object',
  properties: { users: { type: 'array', items: { type: 'string' } } },
} as const;

/**
 * A PUT's tags, as rabbit_auth_backend_internal:put_user reads them: `tags` ("a,b" or a list), else the legacy
 * `administrator` flag; neither is 400 tags_not_present, for a new user and an existing one alike.
 */
function tagsOf(body: Record<string, unknown>): string[] {
  if (body.tags !== undefined) return parseTags(body.tags);
  if (body.administrator !== undefined) return bool(body.administrator, false) ? ['administrator'] : [];
  throw Errors.badRequest('tags_not_present');
}

type UserRequest = FastifyRequest<{ Params: { user: string } }>;

/** /api/users (administrators only): list, GET/PUT/DELETE one, and a user's permissions. */
export function userRoutes(deps: ManagementDeps): FastifyPluginAsync {
  const admin = { all: { onRequest: requireAdmin, schema: { params: userParams } } };
  return async (app) => {
    resource(
      app,
      '/users',
      {
        GET: async (request) =>
          applyListing(deps.access.listUsers().map(formatUser), parseListQuery(request.query as Record<string, unknown>), ['name']),
      },
      { all: { onRequest: requireAdmin } },
    );

    resource(
      app,
      '/users/without-permissions',
      {
        GET: async (request) => {
          const withPermissions = new Set(deps.access.listPermissions().map((p) => p.user));
          const items = deps.access
            .listUsers()
            .filter((u) => !withPermissions.has(u.name))
            .map(formatUser);
          return applyListing(items, parseListQuery(request.query as Record<string, unknown>), ['name']);
        },
      },
      { all: { onRequest: requireAdmin } },
    );

    // rabbit_mgmt_wm_users_bulk_delete: deletes in order and stops at the first unknown user with 400
    // reason ["no_such_user", name] (the users before it stay deleted), as RabbitMQ 3.10 answers.
    resource(
      app,
      '/users/bulk-delete',
      {
        POST: async (request, reply) => {
          const users = bodyOf(request).users;
          if (users === undefined) throw Errors.keyMissing('users');
          for (const name of users as string[]) {
            if (!deps.access.deleteUser(name)) return reply.code(400).send({ error: 'bad_request', reason: ['no_such_user', name] });
          }
          return reply.code(204).send();
        },
      },
      { all: { onRequest: requireAdmin }, POST: { onRequest: requireAdmin, schema: { body: bulkDeleteBody } } },
    );

    resource(
      app,
      '/users/:user',
      {
        GET: async (request) => {
          const record = deps.access.getUser((request as UserRequest).params.user);
          if (record === undefined) throw Errors.objectNotFound();
          return formatUser(record);
        },
        PUT: async (request, reply) => {
          const name = (request as UserRequest).params.user;
          const body = bodyOf(request);
          const existing = deps.access.getUser(name);
          let passwordHash = existing?.passwordHash ?? '';
          let hashingAlgorithm = existing?.hashingAlgorithm ?? DEFAULT_HASHING_ALGORITHM;
          if (typeof body.password === 'string') {
            hashingAlgorithm = DEFAULT_HASHING_ALGORITHM;
            passwordHash = hashPassword(body.password, hashingAlgorithm);
          } else if (typeof body.password_hash === 'string') {
            const algorithm = typeof body.hashing_algorithm === 'string' ? body.hashing_algorithm : DEFAULT_HASHING_ALGORITHM;
            if (!isKnownHashingAlgorithm(algorithm)) throw Errors.badRequest(`unknown hashing algorithm: ${algorithm}`);
            if (body.password_hash !== '' && !/^[A-Za-z0-9+/]+={0,2}$/.test(body.password_hash)) {
              throw Errors.badRequest('password_hash is not valid base64');
            }
            passwordHash = body.password_hash;
            hashingAlgorithm = algorithm;
          }
          const tags = tagsOf(body);
          const created = deps.access.putUser({ name, passwordHash, hashingAlgorithm, tags });
          return reply.code(created ? 201 : 204).send();
        },
        DELETE: async (request, reply) => {
          if (!deps.access.deleteUser((request as UserRequest).params.user)) throw Errors.objectNotFound();
          return reply.code(204).send();
        },
      },
      { ...admin, PUT: { onRequest: requireAdmin, schema: { params: userParams, body: userBody } } },
    );

    resource(
      app,
      '/users/:user/permissions',
      {
        GET: async (request) => {
          const name = (request as UserRequest).params.user;
          if (deps.access.getUser(name) === undefined) throw Errors.objectNotFound();
          const items = deps.access
            .listPermissions()
            .filter((p) => p.user === name)
            .map(formatPermission);
          return applyListing(items, parseListQuery(request.query as Record<string, unknown>), ['vhost', 'user']);
        },
      },
      admin,
    );
  };
}
