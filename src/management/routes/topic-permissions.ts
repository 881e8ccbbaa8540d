import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { TopicPermission } from '../../admin/users';
import { requireAdmin } from '../auth';
import type { ManagementDeps } from '../deps';
import { Errors } from '../errors';
import { applyListing, parseListQuery } from '../listing';
import { listOf, ok } from '../schemas/common';
import { topicPermissionBody, topicPermissionJson, type TopicPermissionBody } from '../schemas/access';
import { resource, vhostParams } from '../support';

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

/** A body field that must be a string: key_missing when absent, as RabbitMQ answers. */
function requiredString(value: unknown, key: string): string {
  if (value === undefined) throw Errors.keyMissing(key);
  if (typeof value !== 'string') throw Errors.badRequest(`${key} should be a string`);
  return value;
}

/**
 * /api/topic-permissions[/{vh}/{user}[/{exchange}]], /api/vhosts/{vh}/topic-permissions and
 * /api/users/{user}/topic-permissions (administrators only, rabbit_mgmt_wm_topic_permission*). GET on
 * /{vh}/{user} answers the user's topic permissions in the vhost as a list; DELETE removes them all.
 */
export function topicPermissionRoutes(deps: ManagementDeps): FastifyPluginAsync {
  const { entities, users } = deps.admin;
  const format = (records: TopicPermission[]) => records.map((t) => users.formatTopicPermission(t));
  const listQuery = (request: FastifyRequest) => parseListQuery(request.query);
  const of = (vhost: string, user: string) => users.topicPermissions({ vhost, user });
  /** The user's topic permissions in the vhost, or 404 when there are none, or no such user or vhost. */
  const existing = (vhost: string, user: string): TopicPermission[] => {
    if (!entities.has(vhost) || !users.has(user)) throw Errors.objectNotFound();
    const records = of(vhost, user);
    if (records.length === 0) throw Errors.objectNotFound();
    return records;
  };
  const sorted = (records: TopicPermission[]) => applyListing(format(records), { sortReverse: false, useRegex: false }, ['vhost', 'user', 'exchange']);

  return async (app) => {
    const topicList = ok(listOf(topicPermissionJson));
    const admin = { all: { onRequest: requireAdmin, schema: { response: topicList } } };
    resource(
      app,
      '/topic-permissions',
      {
        GET: async (request) =>
          applyListing(format(users.topicPermissions()), listQuery(request), [
            'vhost',
            'user',
            'exchange',
          ]),
      },
      admin,
    );

    resource<{ Params: { vhost: string; user: string }; Body: TopicPermissionBody }>(
      app,
      '/topic-permissions/:vhost/:user',
      {
        GET: async (request) => {
          const { vhost, user } = request.params;
          return sorted(existing(vhost, user));
        },
        PUT: async (request, reply) => {
          const { vhost, user } = request.params;
          if (!entities.has(vhost) || !users.has(user)) {
            throw Errors.badRequest('vhost_or_user_not_found');
          }
          const body = request.body;
          const exchange = requiredString(body.exchange, 'exchange');
          const write = requiredString(body.write, 'write');
          const read = requiredString(body.read, 'read');
          const created = of(vhost, user).length === 0;
          try {
            users.setTopicPermission({
              user,
              vhost,
              exchange,
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
          for (const t of existing(vhost, user)) users.deleteTopicPermission(t.user, t.vhost, t.exchange);
          return reply.code(204).send();
        },
      },
      { all: { onRequest: requireAdmin, schema: { params } }, GET: { schema: { response: topicList } }, PUT: { schema: { body: topicPermissionBody } } },
    );

    resource<{ Params: { vhost: string; user: string; exchange: string } }>(
      app,
      '/topic-permissions/:vhost/:user/:exchange',
      {
        GET: async (request) => {
          const { vhost, user } = request.params;
          return sorted(existing(vhost, user));
        },
        DELETE: async (request, reply) => {
          const { vhost, user, exchange } = request.params;
          existing(vhost, user);
          if (!users.deleteTopicPermission(user, vhost, exchange)) throw Errors.objectNotFound();
          return reply.code(204).send();
        },
      },
      { all: { onRequest: requireAdmin, schema: { params: exchangeParams, response: topicList } } },
    );

    resource<{ Params: { vhost: string } }>(
      app,
      '/vhosts/:vhost/topic-permissions',
      {
        GET: async (request) => {
          const { vhost } = request.params;
          if (!entities.has(vhost)) throw Errors.objectNotFound();
          return applyListing(format(users.topicPermissions({ vhost })), listQuery(request), ['vhost', 'user', 'exchange']);
        },
      },
      { all: { onRequest: requireAdmin, schema: { params: vhostParams, response: topicList } } },
    );

    resource<{ Params: { user: string } }>(
      app,
      '/users/:user/topic-permissions',
      {
        GET: async (request) => {
          const { user } = request.params;
          if (!users.has(user)) throw Errors.objectNotFound();
          return applyListing(format(users.topicPermissions({ user })), listQuery(request), ['vhost', 'user', 'exchange']);
        },
      },
      { all: { onRequest: requireAdmin, schema: { params: userParams, response: topicList } } },
    );
  };
}
