import type { FastifyPluginAsync } from 'fastify';
import type { Limits } from '../../admin/entities';
import { canSeeVhost, principalOf, requireAdmin, vhostGate } from '../auth';
import type { ManagementDeps } from '../deps';
import { Errors } from '../errors';
import { applyListing, parseListQuery } from '../listing';
import { arrayOf, listOf, ok } from '../schemas/common';
import { userLimitsJson, valueBody, vhostLimitsJson as vhostLimitsSchema, type ValueBody } from '../schemas/access';
import { resource, vhostNameParams, vhostParams } from '../support';

export const VHOST_LIMIT_NAMES = ['max-connections', 'max-queues'] as const;
export const USER_LIMIT_NAMES = ['max-connections', 'max-channels'] as const;

/** A limit value: an integer (negative means unlimited), as rabbit_parameter_validation:integer. */
function limitValue(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw Errors.badRequest(`Validation failed\n\n${name} should be a number, actually was ${JSON.stringify(value) ?? 'undefined'}\n`);
  }
  return value;
}

function limitName(kind: string, allowed: readonly string[], name: string, value: unknown): void {
  if (!allowed.includes(name)) {
    throw Errors.badRequest(
      `Validation failed\n\nUnrecognised terms [{${JSON.stringify(name)},${JSON.stringify(value) ?? 'undefined'}}] in limits (${kind} limits are ${allowed.join(', ')})\n`,
    );
  }
}

/** A whole vhost-limits value ({"max-queues": 10, ...}) validated, for PUT /api/parameters/vhost-limits/{vh}/limits. */
export function validateVhostLimits(value: unknown): Limits {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw Errors.badRequest('Validation failed\n\nvhost limits should be a JSON object\n');
  }
  const out: Record<string, number> = {};
  for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
    limitName('vhost', VHOST_LIMIT_NAMES, name, v);
    out[name] = limitValue(name, v);
  }
  return out;
}

const userParams = {
  type: 'object',
  properties: { user: { type: 'string', minLength: 1 } },
  required: ['user'],
} as const;
const userNameParams = {
  type: 'object',
  properties: { user: { type: 'string', minLength: 1 }, name: { type: 'string', minLength: 1 } },
  required: ['user', 'name'],
} as const;


/**
 * /api/vhost-limits and /api/user-limits, RabbitMQ's shapes: [{vhost, value: {"max-queues": 10}}] and
 * [{user, value: {"max-channels": 5}}], only objects that have limits. Reading follows vhost visibility (any
 * management user for user limits, as RabbitMQ); setting and clearing is for administrators.
 */
export function limitRoutes(deps: ManagementDeps): FastifyPluginAsync {
  const gate = vhostGate(deps);
  const { entities, users } = deps.admin;
  const vhostLimitsJson = (vhost: string, limits: Limits) => ({ vhost, value: { ...limits } });
  return async (app) => {
    resource(app, '/vhost-limits', {
      GET: async (request) => {
        const principal = principalOf(request);
        const items: Array<{ vhost: string; value: Record<string, number> }> = [];
        for (const name of entities.names()) {
          const limits = entities.limits(name) ?? {};
          if (Object.keys(limits).length > 0 && canSeeVhost(deps, principal, name)) items.push(vhostLimitsJson(name, limits));
        }
        return applyListing(items, parseListQuery(request.query), ['vhost']);
      },
    }, { all: { schema: { response: ok(listOf(vhostLimitsSchema)) } } });

    resource<{ Params: { vhost: string } }>(
      app,
      '/vhost-limits/:vhost',
      {
        GET: async (request) => {
          const name = (request.params).vhost;
          const limits = entities.limits(name);
          if (limits === undefined) throw Errors.objectNotFound();
          return Object.keys(limits).length === 0 ? [] : [vhostLimitsJson(name, limits)];
        },
      },
      { all: { onRequest: gate, schema: { params: vhostParams, response: ok(arrayOf(vhostLimitsSchema)) } } },
    );

    resource<{ Params: { vhost: string; name: string }; Body: ValueBody }>(
      app,
      '/vhost-limits/:vhost/:name',
      {
        PUT: async (request, reply) => {
          const { vhost: vhostName, name } = request.params;
          const limits = entities.limits(vhostName);
          if (limits === undefined) throw Errors.vhostNotFound();
          const body = request.body;
          if (!('value' in body)) throw Errors.keyMissing('value');
          limitName('vhost', VHOST_LIMIT_NAMES, name, body.value);
          entities.setLimits(vhostName, { ...limits, [name]: limitValue(name, body.value) });
          return reply.code(204).send();
        },
        DELETE: async (request, reply) => {
          const { vhost: vhostName, name } = request.params;
          const limits = entities.limits(vhostName);
          if (limits === undefined) throw Errors.objectNotFound();
          if (name in limits) {
            const rest: Record<string, number> = { ...limits };
            delete rest[name];
            entities.setLimits(vhostName, rest);
          }
          return reply.code(204).send();
        },
      },
      { all: { onRequest: requireAdmin, schema: { params: vhostNameParams } }, PUT: { schema: { body: valueBody } } },
    );

    resource(app, '/user-limits', {
      GET: async (request) =>
        applyListing(
          users
            .allLimits()
            .filter(({ limits }) => Object.keys(limits).length > 0)
            .map(({ user, limits }) => ({ user, value: { ...limits } })),
          parseListQuery(request.query),
          ['user'],
        ),
    }, { all: { schema: { response: ok(listOf(userLimitsJson)) } } });

    resource<{ Params: { user: string } }>(
      app,
      '/user-limits/:user',
      {
        GET: async (request) => {
          const { user } = request.params;
          if (!users.has(user)) throw Errors.objectNotFound();
          const limits = users.limits(user);
          return Object.keys(limits).length === 0 ? [] : [{ user, value: { ...limits } }];
        },
      },
      { all: { schema: { params: userParams, response: ok(arrayOf(userLimitsJson)) } } },
    );

    resource<{ Params: { user: string; name: string }; Body: ValueBody }>(
      app,
      '/user-limits/:user/:name',
      {
        PUT: async (request, reply) => {
          const { user, name } = request.params;
          if (!users.has(user)) throw Errors.notFound('user_not_found');
          const body = request.body;
          if (!('value' in body)) throw Errors.keyMissing('value');
          limitName('user', USER_LIMIT_NAMES, name, body.value);
          users.setLimits(user, { ...users.limits(user), [name]: limitValue(name, body.value) });
          return reply.code(204).send();
        },
        DELETE: async (request, reply) => {
          const { user, name } = request.params;
          if (!users.has(user)) throw Errors.objectNotFound();
          const limits: Record<string, number> = { ...users.limits(user) };
          if (name in limits) {
            delete limits[name];
            users.setLimits(user, limits);
          }
          return reply.code(204).send();
        },
      },
      { all: { onRequest: requireAdmin, schema: { params: userNameParams } }, PUT: { schema: { body: valueBody } } },
    );
  };
}
