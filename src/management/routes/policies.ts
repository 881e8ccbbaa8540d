import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Policy } from '../../admin/parameters';
import { compileSafeRegExp } from '../../util/safe-regex';
import { principalOf, requireAdmin } from '../auth';
import type { ManagementDeps } from '../deps';
import { Errors } from '../errors';
import { checkNesting } from '../request-json';
import { applyListing, parseListQuery } from '../listing';
import { listOf, ok } from '../schemas/common';
import { policyBody, policyJson, type PolicyBody } from '../schemas/access';
import { resource, vhostNameParams, vhostParams } from '../support';
import { OPERATOR_POLICY_COMPONENT, POLICY_COMPONENT, policymakerGate, policyVisible } from './parameters';

export const APPLY_TO = ['all', 'queues', 'exchanges', 'classic_queues', 'quorum_queues', 'streams'] as const;


/** Validates a PUT body as rabbit_policy:set does (pattern and definition mandatory); returns the stored value. */
export function parsePolicy(body: PolicyBody, operator = false): Policy {
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
  validateDefinition(definition as Record<string, unknown>, operator);
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

/** Erlang's ~p of a decoded JSON value, as RabbitMQ's validation messages print it (strings are binaries). */
export function erlangTerm(value: unknown): string {
  if (typeof value === 'string') return `<<${JSON.stringify(value)}>>`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return `[${value.map(erlangTerm).join(',')}]`;
  if (typeof value === 'object') {
    return `#{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${erlangTerm(k)} => ${erlangTerm(v)}`).join(',')}}`;
  }
  return String(value);
}

type Check = (value: unknown) => boolean;
const isString: Check = (v) => typeof v === 'string';
const atLeast = (min: number): Check => (v) => typeof v === 'number' && Number.isInteger(v) && v >= min;
const oneOf = (...allowed: unknown[]): Check => (v) => allowed.includes(v);
const isMaxAge: Check = (v) => typeof v === 'string' && /^\d+[YMDhms]$/.test(v);

/** Policy keys RabbitMQ 3.13 (core and mirroring, no plugins) validates, with the check and its error text. */
const POLICY_KEYS: Readonly<Record<string, readonly [Check, string]>> = {
  'alternate-exchange': [isString, 'is not a valid alternate exchange name'],
  'dead-letter-exchange': [isString, 'is not a valid dead letter exchange name'],
  'dead-letter-routing-key': [isString, 'is not a valid dead letter routing key'],
  'dead-letter-strategy': [oneOf('at-most-once', 'at-least-once'), 'is not a valid dead letter strategy'],
  'message-ttl': [atLeast(0), 'is not a valid message TTL'],
  expires: [atLeast(1), 'is not a valid queue expiry'],
  'max-length': [atLeast(0), 'is not a valid maximum length'],
  'max-length-bytes': [atLeast(0), 'is not a valid maximum length in bytes'],
  'max-in-memory-length': [atLeast(0), 'is not a valid maximum memory in bytes'],
  'max-in-memory-bytes': [atLeast(0), 'is not a valid maximum memory in bytes'],
  'queue-mode': [oneOf('default', 'lazy'), 'is not a valid queue-mode value'],
  'queue-version': [oneOf(1, 2), 'is not a valid queue version'],
  overflow: [oneOf('drop-head', 'reject-publish', 'reject-publish-dlx'), 'is not a valid overflow value'],
  'delivery-limit': [atLeast(0), 'is not a valid delivery limit'],
  'max-age': [isMaxAge, 'is not a valid max age'],
  'stream-max-segment-size-bytes': [atLeast(0), 'is not a valid segment size'],
  'stream-filter-size-bytes': [(v) => atLeast(16)(v) && (v as number) <= 255, 'is not a valid filter size. Valid range is 16-255'],
  'queue-leader-locator': [oneOf('client-local', 'balanced'), 'is not a valid queue leader locator value'],
  'queue-master-locator': [oneOf('min-masters', 'client-local', 'random'), 'is not a valid queue-master-locator value'],
  'initial-cluster-size': [atLeast(0), 'is not a valid cluster size'],
  'consumer-timeout': [atLeast(0), 'is not a valid consumer timeout'],
  'ha-mode': [oneOf('all', 'exactly', 'nodes'), 'is not a valid ha-mode value'],
  'ha-params': [() => true, ''],
  'ha-sync-mode': [oneOf('automatic', 'manual'), 'is not a valid ha-sync-mode value'],
  'ha-sync-batch-size': [atLeast(1), 'is not a valid ha-sync-batch-size value'],
  'ha-promote-on-shutdown': [oneOf('always', 'when-synced'), 'is not a valid ha-promote-on-shutdown value'],
  'ha-promote-on-failure': [oneOf('always', 'when-synced'), 'is not a valid ha-promote-on-failure value'],
};

/** The keys RabbitMQ 3.13 accepts in operator policies (operator_policy_validator registrations). */
const OPERATOR_POLICY_KEYS = new Set([
  'expires',
  'message-ttl',
  'max-length',
  'max-length-bytes',
  'max-in-memory-length',
  'max-in-memory-bytes',
  'delivery-limit',
  'queue-version',
  'ha-mode',
  'ha-params',
  'ha-sync-mode',
]);

/**
 * rabbit_policy's definition check: unknown keys first (all of them, in one message), then each known key's value,
 * with RabbitMQ's texts ("Validation failed\n\n<term> is not a valid maximum length\n").
 */
export function validateDefinition(definition: Record<string, unknown>, operator: boolean): void {
  const entries = Object.entries(definition).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const unknown = entries.filter(([key]) => POLICY_KEYS[key] === undefined || (operator && !OPERATOR_POLICY_KEYS.has(key)));
  if (unknown.length > 0) {
    const terms = unknown.map(([key, value]) => `{${erlangTerm(key)},${erlangTerm(value)}}`).join(',');
    throw Errors.badRequest(`Validation failed\n\n[${terms}] are not recognised policy settings\n`);
  }
  for (const [key, value] of entries) {
    const [check, text] = POLICY_KEYS[key] as readonly [Check, string];
    if (!check(value)) throw Errors.badRequest(`Validation failed\n\n${erlangTerm(value)} ${text}\n`);
  }
}

/**
 * One policy family under `/api/<path>`: lists, per-vhost lists, GET/PUT/DELETE one. PUT and DELETE go through the
 * vhost registry, which stores the policy and applies it to the vhost's queues.
 */
function policyFamily(
  deps: ManagementDeps,
  path: string,
  component: string,
  onRequest: (request: FastifyRequest, reply: FastifyReply) => Promise<void>,
  listGate: (request: FastifyRequest, reply: FastifyReply) => Promise<void>,
): FastifyPluginAsync {
  const { entities, parameters } = deps.admin;
  const policyList = ok(listOf(policyJson));
  const list = (request: FastifyRequest, vhost?: string) =>
    applyListing(
      parameters
        .of(component, vhost)
        .filter((p) => policyVisible(deps, request, p.vhost))
        .map((p) => parameters.formatPolicy(p)),
      parseListQuery(request.query),
    );
  return async (app) => {
    resource(app, `/${path}`, { GET: async (request) => list(request) }, { all: { onRequest: listGate, schema: { response: policyList } } });

    resource<{ Params: { vhost: string } }>(
      app,
      `/${path}/:vhost`,
      {
        GET: async (request) => {
          const { vhost } = request.params;
          if (!entities.has(vhost)) throw Errors.objectNotFound();
          return list(request, vhost);
        },
      },
      { all: { onRequest: listGate, schema: { params: vhostParams, response: policyList } } },
    );

    resource<{ Params: { vhost: string; name: string }; Body: PolicyBody }>(
      app,
      `/${path}/:vhost/:name`,
      {
        GET: async (request) => {
          const { vhost, name } = request.params;
          const p = parameters.find(component, vhost, name);
          if (p === undefined) throw Errors.objectNotFound();
          return parameters.formatPolicy(p);
        },
        PUT: async (request, reply) => {
          const { vhost, name } = request.params;
          if (!entities.has(vhost)) throw Errors.vhostNotFound();
          const value = parsePolicy(request.body, component === OPERATOR_POLICY_COMPONENT);
          const existed = parameters.find(component, vhost, name) !== undefined;
          parameters.setPolicy(component, vhost, name, value);
          return reply.code(existed ? 204 : 201).send();
        },
        DELETE: async (request, reply) => {
          const { vhost, name } = request.params;
          if (parameters.find(component, vhost, name) === undefined) throw Errors.objectNotFound();
          parameters.setPolicy(component, vhost, name, undefined);
          return reply.code(204).send();
        },
      },
      {
        all: { onRequest, schema: { params: vhostNameParams } },
        GET: { schema: { response: ok(policyJson) } },
        PUT: { schema: { body: policyBody } },
      },
    );
  };
}

/**
 * The lists' gate (rabbit_mgmt_wm_policies / _operator_policies use is_authorized_vhost): any management user; a
 * vhost in the path needs a permission entry on it unless the user is an administrator. The lists are then
 * filtered to the vhosts the user can access (policyVisible).
 */
function vhostAccessGate(deps: ManagementDeps) {
  return async (request: FastifyRequest): Promise<void> => {
    const principal = principalOf(request);
    const vhost = (request.params as { vhost?: string } | undefined)?.vhost;
    if (principal.isAdmin || vhost === undefined || !deps.admin.entities.has(vhost)) return;
    if (!deps.admin.users.canAccessVhost(principal.name, vhost)) throw Errors.vhostForbidden();
  };
}

/** /api/policies (policymakers with access to the vhost) and /api/operator-policies (administrators), as RabbitMQ. */
export function policyRoutes(deps: ManagementDeps): FastifyPluginAsync {
  const lists = vhostAccessGate(deps);
  const policies = policyFamily(deps, 'policies', POLICY_COMPONENT, policymakerGate(deps), lists);
  const operatorPolicies = policyFamily(deps, 'operator-policies', OPERATOR_POLICY_COMPONENT, requireAdmin, lists);
  return async (app) => {
    await policies(app, {});
    await operatorPolicies(app, {});
  };
}
