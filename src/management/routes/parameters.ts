import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import {
  GLOBAL_COMPONENT,
  HIDDEN_COMPONENTS,
  OPERATOR_POLICY_COMPONENT,
  POLICY_COMPONENT,
  VHOST_LIMITS_COMPONENT,
  type Parameter,
} from '../../admin/parameters';
import { principalOf } from '../auth';
import type { ManagementDeps } from '../deps';
import { Errors } from '../errors';
import { checkNesting } from '../request-json';
import { applyListing, parseListQuery } from '../listing';
import { listOf, ok } from '../schemas/common';
import { globalParameterJson, parameterJson, valueBody, type ValueBody } from '../schemas/access';
import { resource } from '../support';
import { validateVhostLimits } from './limits';

export { GLOBAL_COMPONENT, OPERATOR_POLICY_COMPONENT, POLICY_COMPONENT };

/**
 * The components a PUT may write, as RabbitMQ refuses components no plugin registered (400 "component X not
 * found"): vhost-limits (core), and those of the federation and shovel plugins, which Leveret stores without
 * interpreting (spec/errata.md). Anything else is refused.
 */
const KNOWN_COMPONENTS = new Set([VHOST_LIMITS_COMPONENT, 'federation-upstream', 'federation-upstream-set', 'shovel']);

/**
 * Route onRequest hook for policies and parameters (rabbit_mgmt_util:is_authorized_policies): administrators, or
 * policymakers with access to the vhost in the path.
 */
export function policymakerGate(deps: ManagementDeps) {
  return async function requirePolicymaker(request: FastifyRequest): Promise<void> {
    const principal = principalOf(request);
    if (principal.isAdmin) return;
    if (!principal.isPolicymaker) throw Errors.objectForbidden();
    const vhost = (request.params as { vhost?: string } | undefined)?.vhost;
    if (vhost === undefined || !deps.admin.entities.has(vhost)) return;
    if (!deps.admin.users.canAccessVhost(principal.name, vhost)) throw Errors.objectForbidden();
  };
}

/** Whether the principal sees a vhost's policies and parameters in lists (rabbit_mgmt_util:filter_vhost). */
export function policyVisible(deps: ManagementDeps, request: FastifyRequest, vhost: string): boolean {
  const principal = principalOf(request);
  return principal.isAdmin || deps.admin.users.canAccessVhost(principal.name, vhost);
}

const componentParams = {
  type: 'object',
  properties: { component: { type: 'string', minLength: 1 } },
  required: ['component'],
} as const;
const componentVhostParams = {
  type: 'object',
  properties: { component: { type: 'string', minLength: 1 }, vhost: { type: 'string' } },
  required: ['component', 'vhost'],
} as const;
const parameterParams = {
  type: 'object',
  properties: { component: { type: 'string', minLength: 1 }, vhost: { type: 'string' }, name: { type: 'string', minLength: 1 } },
  required: ['component', 'vhost', 'name'],
} as const;
const globalParams = {
  type: 'object',
  properties: { name: { type: 'string', minLength: 1 } },
  required: ['name'],
} as const;

/**
 * /api/parameters (runtime parameters: federation upstreams, shovels and the like, stored as JSON and not
 * interpreted: Leveret has no plugins that read them) and /api/global-parameters. Policymakers, as RabbitMQ.
 */
export function parameterRoutes(deps: ManagementDeps): FastifyPluginAsync {
  const gate = policymakerGate(deps);
  const { entities, parameters } = deps.admin;
  const parameterList = ok(listOf(parameterJson));
  const visible = (): Parameter[] => parameters.visible();
  const list = (request: FastifyRequest, items: Parameter[]) =>
    applyListing(
      items.filter((p) => policyVisible(deps, request, p.vhost)).map((p) => parameters.formatParameter(p)),
      parseListQuery(request.query),
      ['vhost', 'component', 'name'],
    );
  const writable = (component: string): void => {
    if (HIDDEN_COMPONENTS.has(component) || !KNOWN_COMPONENTS.has(component)) {
      throw Errors.badRequest(`Validation failed\n\ncomponent ${component} not found\n`);
    }
  };

  return async (app) => {
    resource(app, '/parameters', { GET: async (request) => list(request, visible()) }, { all: { onRequest: gate, schema: { response: parameterList } } });

    resource<{ Params: { component: string } }>(
      app,
      '/parameters/:component',
      {
        GET: async (request) => {
          const { component } = request.params;
          return list(request, visible().filter((p) => p.component === component));
        },
      },
      { all: { onRequest: gate, schema: { params: componentParams, response: parameterList } } },
    );

    resource<{ Params: { component: string; vhost: string } }>(
      app,
      '/parameters/:component/:vhost',
      {
        GET: async (request) => {
          const { component, vhost } = request.params;
          if (!entities.has(vhost)) throw Errors.objectNotFound();
          return list(request, visible().filter((p) => p.component === component && p.vhost === vhost));
        },
      },
      { all: { onRequest: gate, schema: { params: componentVhostParams, response: parameterList } } },
    );

    resource<{ Params: { component: string; vhost: string; name: string }; Body: ValueBody }>(
      app,
      '/parameters/:component/:vhost/:name',
      {
        GET: async (request) => {
          const { component, vhost, name } = request.params;
          const p = HIDDEN_COMPONENTS.has(component) ? undefined : parameters.find(component, vhost, name);
          if (p === undefined) throw Errors.objectNotFound();
          return parameters.formatParameter(p);
        },
        PUT: async (request, reply) => {
          const { component, vhost, name } = request.params;
          if (!entities.has(vhost)) throw Errors.vhostNotFound();
          const body = request.body;
          if (body.value === undefined) throw Errors.keyMissing('value');
          checkNesting(body.value, 'value');
          writable(component);
          const existed = parameters.find(component, vhost, name) !== undefined;
          if (component === VHOST_LIMITS_COMPONENT) {
            if (name !== 'limits') throw Errors.badRequest(`vhost-limits parameters are named 'limits', not '${name}'`);
            parameters.setVhostLimits(vhost, validateVhostLimits(body.value));
          } else {
            parameters.put({ component, vhost, name, value: body.value });
          }
          return reply.code(existed ? 204 : 201).send();
        },
        DELETE: async (request, reply) => {
          const { component, vhost, name } = request.params;
          if (HIDDEN_COMPONENTS.has(component) || parameters.find(component, vhost, name) === undefined) {
            throw Errors.objectNotFound();
          }
          if (component === VHOST_LIMITS_COMPONENT) parameters.setVhostLimits(vhost, {});
          else parameters.delete(component, vhost, name);
          return reply.code(204).send();
        },
      },
      {
        all: { onRequest: gate, schema: { params: parameterParams } },
        GET: { schema: { response: ok(parameterJson) } },
        PUT: { schema: { body: valueBody } },
      },
    );

    resource(
      app,
      '/global-parameters',
      {
        GET: async (request) =>
          applyListing(
            parameters.of(GLOBAL_COMPONENT, '').map((p) => parameters.formatGlobal(p)),
            parseListQuery(request.query),
            ['name'],
          ),
      },
      { all: { onRequest: gate, schema: { response: ok(listOf(globalParameterJson)) } } },
    );

    resource<{ Params: { name: string }; Body: ValueBody }>(
      app,
      '/global-parameters/:name',
      {
        GET: async (request) => {
          const { name } = request.params;
          const p = parameters.find(GLOBAL_COMPONENT, '', name);
          if (p === undefined) throw Errors.objectNotFound();
          return parameters.formatGlobal(p);
        },
        PUT: async (request, reply) => {
          const { name } = request.params;
          const body = request.body;
          if (body.value === undefined) throw Errors.keyMissing('value');
          checkNesting(body.value, 'value');
          const existed = parameters.find(GLOBAL_COMPONENT, '', name) !== undefined;
          parameters.put({ component: GLOBAL_COMPONENT, vhost: '', name, value: body.value });
          return reply.code(existed ? 204 : 201).send();
        },
        DELETE: async (request, reply) => {
          const { name } = request.params;
          if (parameters.find(GLOBAL_COMPONENT, '', name) === undefined) throw Errors.objectNotFound();
          parameters.delete(GLOBAL_COMPONENT, '', name);
          return reply.code(204).send();
        },
      },
      {
        all: { onRequest: gate, schema: { params: globalParams } },
        GET: { schema: { response: ok(globalParameterJson) } },
        PUT: { schema: { body: valueBody } },
      },
    );
  };
}
