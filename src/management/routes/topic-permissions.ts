import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { TopicPermissionRecord } from '../../auth/access';
import { requireAdmin } from '../auth';
import type { ManagementDeps } from '../deps';
import { Errors } from '../errors';
import { applyListing, parseListQuery } from '../listing';
import { bodyOf, resource, vhostParams } from '../support';

const params = {
  type: 'object',
  properties: { vhost: { type: 'string' }, user: { type: 'string', minLength: 1 } },
  required: ['vhost', 'user'],
} as const;
const exchangeParams = {
  type: 'object',
  properties: { vhost: { type: 'string' }, user: { type: 'string', minLength: 1 }, exchange: { type: 'string' } },
  required: ['vhost', 'user', 'exchange'],
} as const;
const userParams = {
  type: 'object',
  properties: { user: { type: 'string', minLength: 1 } },
  required: ['user'],
} as const;

type TopicRequest = FastifyRequest<{ Params: { vhost: string; user: string; exchange?: string } }>;

export function formatTopicPermission(t: TopicPermissionRecord): Record<string, unknown> {
  return { user: t.user, vhost: t.vhost, exchange: t.exchange, write: t.write, read: t.read };
}

/**
 * /api/topic-permissions[/{vh}/{user}[/{exchange}]], /api/vhosts/{vh}/topic-permissions and
 * /api/users/{user}/topic-permissions (administrators only, rabbit_mgmt_wm_topic_permission*). GET on
 * /{vh}/{user} answers the user's topic permissions in the vhost as a list; DELETE removes them all.
 */
export function topicPermissionRoutes(deps: ManagementDeps): FastifyPluginAsync {
  const listQuery = (request: FastifyRequest) => parseListQuery(request.query as Record<string, unknown>);
  const of = (vhost: string, user: string) =>
    deps.access.listTopicPermissions().filter((t) => t.vhost === vhost && t.user === user);
  /** The user's topic permissions in the vhost, or 404 when there are none, or no such user or vhost. */
  const existing = (vhost: string, user: string): TopicPermissionRecord[] => {
    if (deps.vhosts.get(vhost) === undefined || deps.access.getUser(user) === undefined) throw Errors.objectNotFound();
    const records = of(vhost, user);
    if (records.length === 0) throw Errors.objectNotFound();
    return records;
  };
  const sorted = (records: TopicPermissionRecord[]) => applyListing(records.map(formatTopicPermission), { sortReverse: false, useRegex: false }, ['vhost', 'user', 'exchange']);

  return async (app) => {
    const admin = { all: { onRequest: requireAdmin } };
    resource(
      app,
      '/topic-permissions',
      {
        GET: async (request) =>
          applyListing(deps.access.listTopicPermissions().map(formatTopicPermission), listQuery(request), [
            'vhost',
            'user',
            'exchange',
          ]),
      },
      admin,
    );

    resource(
      app,
      '/topic-permissions/:vhost/:user',
      {
        GET: async (request) => {
          const { vhost, user } = (request as TopicRequest).params;
          return sorted(existing(vhost, user));
        },
        PUT: async (request, reply) => {
          const { vhost, user } = (request as TopicRequest).params;
          if (deps.vhosts.get(vhost) === undefined || deps.access.getUser(user) === undefined) {
            throw Errors.badRequest('vhost_or_user_not_found');
          }
          const body = bodyOf(request);
          for (const key of ['exchange', 'write', 'read'] as const) {
            if (body[key] === undefined) throw Errors.keyMissing(key);
            if (typeof body[key] !== 'string') throw Errors.badRequest(`${key} should be a string`);
          }
          const created = of(vhost, user).length === 0;
          try {
            deps.access.setTopicPermission({
              user,
              vhost,
              exchange: body.exchange as string,
              write: body.write as string,
              read: body.read as string,
            });
          } catch (err) {
            throw Errors.badRequest((err as Error).message);
          }
          return reply.code(created ? 201 : 204).send();
        },
        DELETE: async (request, reply) => {
          const { vhost, user } = (request as TopicRequest).params;
          for (const t of existing(vhost, user)) deps.access.deleteTopicPermission(t.user, t.vhost, t.exchange);
          return reply.code(204).send();
        },
      },
      { all: { onRequest: requireAdmin, schema: { params } } },
    );

    resource(
      app,
      '/topic-permissions/:vhost/:user/:exchange',
      {
        GET: async (request) => {
          const { vhost, user } = (request as TopicRequest).params;
          return sorted(existing(vhost, user));
        },
        DELETE: async (request, reply) => {
          const { vhost, user, exchange } = (request as TopicRequest).params;
          existing(vhost, user);
          if (!deps.access.deleteTopicPermission(user, vhost, exchange as string)) throw Errors.objectNotFound();
          return reply.code(204).send();
        },
      },
      { all: { onRequest: requireAdmin, schema: { params: exchangeParams } } },
    );

    resource(
      app,
      '/vhosts/:vhost/topic-permissions',
      {
        GET: async (request) => {
          const { vhost } = request.params as { vhost: string };
          if (deps.vhosts.get(vhost) === undefined) throw Errors.objectNotFound();
          const records = deps.access.listTopicPermissions().filter((t) => t.vhost === vhost);
          return applyListing(records.map(formatTopicPermission), listQuery(request), ['vhost', 'user', 'exchange']);
        },
      },
      { all: { onRequest: requireAdmin, schema: { params: vhostParams } } },
    );

    resource(
      app,
      '/users/:user/topic-permissions',
      {
        GET: async (request) => {
          const { user } = request.params as { user: string };
          if (deps.access.getUser(user) === undefined) throw Errors.objectNotFound();
          const records = deps.access.listTopicPermissions().filter((t) => t.user === user);
          return applyListing(records.map(formatTopicPermission), listQuery(request), ['vhost', 'user', 'exchange']);
        },
      },
      { all: { onRequest: requireAdmin, schema: { params: userParams } } },
    );
  };
}
