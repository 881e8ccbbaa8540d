import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ParameterRecord } from '../../store/store';
import type { PolicyValue } from '../../vhost/policies';
import { compileSafeRegExp } from '../../util/safe-regex';

export type { PolicyValue };
import { requireAdmin } from '../auth';
import type { ManagementDeps } from '../deps';
import { Errors } from '../errors';
import { boundedJson, checkNesting } from '../format';
import { applyListing, parseListQuery } from '../listing';
import { bodyOf, resource, vhostNameParams, vhostParams } from '../support';
import {
  findParameter,
  OPERATOR_POLICY_COMPONENT,
  parametersOf,
  POLICY_COMPONENT,
  policymakerGate,
  policyVisible,
} from './parameters';

export const APPLY_TO = ['all', 'queues', 'exchanges', 'classic_queues', 'quorum_queues', 'streams'] as const;


function formatPolicy(p: ParameterRecord): Record<string, unknown> {
  const value = p.value as PolicyValue;
  return {
    vhost: p.vhost,
    name: p.name,
    pattern: value.pattern,
    'apply-to': value['apply-to'],
    definition: boundedJson(value.definition),
    priority: value.priority,
  };
}

/** Validates a PUT body as rabbit_policy:set does (pattern and definition mandatory); returns the stored value. */
export function parsePolicy(body: Record<string, unknown>): PolicyValue {
  if (body.pattern === undefined) throw Errors.keyMissing('pattern');
  if (body.definition === undefined) throw Errors.keyMissing('definition');
  const { pattern, definition } = body;
  if (typeof pattern !== 'string') throw Errors.badRequest(`Validation failed\n\npattern should be a string, actually was ${JSON.stringify(pattern)}\n`);
  try {
    compileSafeRegExp(pattern);
  } catch (err) {
    throw Errors.badRequest(`Validation failed\n\npattern should be regular expression but is invalid: ${(err as Error).message}\n`);
  }
  if (definition === null || typeof definition !== 'object' || Array.isArray(definition)) {
    throw Errors.badRequest('Validation failed\n\ndefinition must be a JSON object\n');
  }
  if (Object.keys(definition).length === 0) throw Errors.badRequest('Validation failed\n\nno policy provided\n');
  checkNesting(definition, 'definition');
  let priority = body.priority ?? 0;
  // rabbitmqadmin and older clients send the priority as a string.
  if (typeof priority === 'string' && /^-?\d+$/.test(priority.trim())) priority = Number(priority.trim());
  if (typeof priority !== 'number' || !Number.isInteger(priority)) {
    throw Errors.badRequest(`Validation failed\n\npriority should be a number, actually was ${JSON.stringify(priority)}\n`);
  }
  const applyTo = body['apply-to'] ?? 'all';
  if (typeof applyTo !== 'string' || !(APPLY_TO as readonly string[]).includes(applyTo)) {
    throw Errors.badRequest(
      `Validation failed\n\napply-to '${String(applyTo)}' unrecognised; should be one of ${APPLY_TO.map((a) => `'${a}'`).join(', ')}\n`,
    );
  }
  return { pattern, 'apply-to': applyTo, definition: definition as Record<string, unknown>, priority };
}

type PolicyRequest = FastifyRequest<{ Params: { vhost: string; name: string } }>;

/**
 * One policy family under `/api/<path>`: lists, per-vhost lists, GET/PUT/DELETE one. PUT and DELETE go through the
 * vhost registry, which stores the policy and applies it to the vhost's queues.
 */
function policyFamily(
  deps: ManagementDeps,
  path: string,
  component: string,
  onRequest: (request: FastifyRequest, reply: FastifyReply) => Promise<void>,
): FastifyPluginAsync {
  const store = deps.store;
  const list = (request: FastifyRequest, vhost?: string) =>
    applyListing(
      parametersOf(store, component, vhost)
        .filter((p) => policyVisible(deps, request, p.vhost))
        .map(formatPolicy),
      parseListQuery(request.query as Record<string, unknown>),
    );
  return async (app) => {
    resource(app, `/${path}`, { GET: async (request) => list(request) }, { all: { onRequest } });

    resource(
      app,
      `/${path}/:vhost`,
      {
        GET: async (request) => {
          const { vhost } = request.params as { vhost: string };
          if (deps.vhosts.get(vhost) === undefined) throw Errors.objectNotFound();
          return list(request, vhost);
        },
      },
      { all: { onRequest, schema: { params: vhostParams } } },
    );

    resource(
      app,
      `/${path}/:vhost/:name`,
      {
        GET: async (request) => {
          const { vhost, name } = (request as PolicyRequest).params;
          const p = findParameter(store, component, vhost, name);
          if (p === undefined) throw Errors.objectNotFound();
          return formatPolicy(p);
        },
        PUT: async (request, reply) => {
          const { vhost, name } = (request as PolicyRequest).params;
          if (deps.vhosts.get(vhost) === undefined) throw Errors.vhostNotFound();
          const value = parsePolicy(bodyOf(request));
          const existed = findParameter(store, component, vhost, name) !== undefined;
          deps.vhosts.setPolicy(component, vhost, name, value);
          return reply.code(existed ? 204 : 201).send();
        },
        DELETE: async (request, reply) => {
          const { vhost, name } = (request as PolicyRequest).params;
          if (findParameter(store, component, vhost, name) === undefined) throw Errors.objectNotFound();
          deps.vhosts.setPolicy(component, vhost, name, undefined);
          return reply.code(204).send();
        },
      },
      { all: { onRequest, schema: { params: vhostNameParams } } },
    );
  };
}

/** /api/policies (policymakers with access to the vhost) and /api/operator-policies (administrators), as RabbitMQ. */
export function policyRoutes(deps: ManagementDeps): FastifyPluginAsync {
  const policies = policyFamily(deps, 'policies', POLICY_COMPONENT, policymakerGate(deps));
  const operatorPolicies = policyFamily(deps, 'operator-policies', OPERATOR_POLICY_COMPONENT, requireAdmin);
  return async (app) => {
    await policies(app, {});
    await operatorPolicies(app, {});
  };
}
