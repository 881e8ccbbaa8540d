import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuditEvent } from '../admin/audit';
import type { ManagementDeps } from './deps';
import { principalOf } from './auth';

/*
 * The audit log's HTTP hook: one onSend hook that records every PUT, POST and DELETE on a route that changes
 * definitions, users or permissions, with the authenticated user, the client's address and the outcome (2xx: ok;
 * anything else: refused, with the error body's reason). Reads, message operations (publish, get, purge) and closing
 * connections are not definition changes and are left out, as are requests that never authenticated (they name no
 * one and change nothing; failed logins have their own log line and throttle).
 *
 * A definitions import is one entry (action 'definitions.import', source 'definitions') whose details are the
 * import's summary (how many of each kind it applied), not one entry per object: an import of thousands of objects
 * stays readable, and the document itself can be kept by whoever sent it. A refused import names the first item
 * the broker refused (the reason); what came before it stays applied, as in RabbitMQ.
 */

interface Target {
  readonly action: string;
  readonly type: string;
  readonly name: (p: Record<string, string>) => string;
  readonly vhost: (p: Record<string, string>) => string;
  readonly source?: 'definitions';
  /** Path parameters worth keeping in the details besides the body. */
  readonly extra?: (p: Record<string, string>) => Record<string, unknown>;
}

const vhostOf = (p: Record<string, string>): string => p.vhost ?? '';
const none = (): string => '';
const param =
  (name: string) =>
  (p: Record<string, string>): string =>
    p[name] ?? '';

/** route pattern -> method -> what it changes. */
const ROUTES: ReadonlyMap<string, Readonly<Partial<Record<string, Target>>>> = new Map(
  Object.entries({
    '/api/vhosts/:vhost': crud('vhost', 'put', param('vhost'), vhostOf),
    '/api/users/:user': crud('user', 'put', param('user'), none),
    '/api/users/bulk-delete': { POST: { action: 'user.delete', type: 'user', name: none, vhost: none } },
    '/api/permissions/:vhost/:user': crud('permission', 'put', param('user'), vhostOf),
    '/api/topic-permissions/:vhost/:user': crud('topic_permission', 'put', param('user'), vhostOf),
    '/api/topic-permissions/:vhost/:user/:exchange': {
      DELETE: { action: 'topic_permission.delete', type: 'topic_permission', name: param('user'), vhost: vhostOf, extra: (p) => ({ exchange: p.exchange }) },
    },
    '/api/policies/:vhost/:name': crud('policy', 'put', param('name'), vhostOf),
    '/api/operator-policies/:vhost/:name': crud('operator_policy', 'put', param('name'), vhostOf),
    '/api/parameters/:component/:vhost/:name': withExtra(crud('parameter', 'put', param('name'), vhostOf), (p) => ({ component: p.component })),
    '/api/global-parameters/:name': crud('global_parameter', 'put', param('name'), none),
    '/api/cluster-name': { PUT: { action: 'global_parameter.put', type: 'global_parameter', name: () => 'cluster_name', vhost: none } },
    '/api/vhost-limits/:vhost/:name': crud('vhost_limit', 'put', param('name'), vhostOf),
    '/api/user-limits/:user/:name': withExtra(crud('user_limit', 'put', param('user'), none), (p) => ({ limit: p.name })),
    '/api/exchanges/:vhost/:name': crud('exchange', 'declare', param('name'), vhostOf),
    '/api/queues/:vhost/:name': crud('queue', 'declare', param('name'), vhostOf),
    '/api/bindings/:vhost/e/:source/:dtype/:destination': {
      POST: { action: 'binding.create', type: 'binding', name: bindingName, vhost: vhostOf, extra: bindingEnds },
    },
    '/api/bindings/:vhost/e/:source/:dtype/:destination/:props': {
      DELETE: { action: 'binding.delete', type: 'binding', name: bindingName, vhost: vhostOf, extra: (p) => ({ ...bindingEnds(p), properties_key: p.props }) },
    },
    '/api/definitions': importing(none),
    '/api/all-configuration': importing(none),
    '/api/definitions/:vhost': importing(vhostOf),
  }),
);

function crud(type: string, putVerb: string, name: Target['name'], vhost: Target['vhost']): Record<string, Target> {
  return { PUT: { action: `${type}.${putVerb}`, type, name, vhost }, DELETE: { action: `${type}.delete`, type, name, vhost } };
}

function withExtra(targets: Record<string, Target>, extra: Target['extra']): Record<string, Target> {
  return Object.fromEntries(Object.entries(targets).map(([m, t]) => [m, { ...t, extra }]));
}

function importing(vhost: Target['vhost']): Record<string, Target> {
  return { POST: { action: 'definitions.import', type: 'definitions', name: none, vhost, source: 'definitions' } };
}

function bindingName(p: Record<string, string>): string {
  return `${p.source ?? ''} -> ${p.destination ?? ''}`;
}

function bindingEnds(p: Record<string, string>): Record<string, unknown> {
  return { source: p.source, destination: p.destination, destination_type: p.dtype === 'q' ? 'queue' : 'exchange' };
}

/** What a handler adds to its request's entry (the definitions import's summary). */
const noted = new WeakMap<FastifyRequest, Record<string, unknown>>();

/** Adds `details` to the audit entry of this request (a definitions import's summary). */
export function noteAuditDetails(request: FastifyRequest, details: Record<string, unknown>): void {
  noted.set(request, details);
}

/** The onSend hook: records the request when it was a definition change by an authenticated user. */
export function auditHook(deps: ManagementDeps) {
  return async function recordChange(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
    const method = request.method;
    if (method !== 'PUT' && method !== 'POST' && method !== 'DELETE') return payload;
    const target = ROUTES.get(request.routeOptions.url ?? '')?.[method];
    if (target === undefined) return payload;
    let user: string;
    try {
      user = principalOf(request).name;
    } catch {
      return payload; // never authenticated
    }
    const p = (request.params ?? {}) as Record<string, string>;
    const ok = reply.statusCode < 400;
    const event: AuditEvent = {
      user,
      source: target.source ?? 'http',
      peer: request.ip,
      vhost: target.vhost(p),
      action: target.action,
      object: { type: target.type, name: target.name(p) || objectNameFromBody(request.body) },
      details: detailsOf(request, target, p),
      result: ok ? 'ok' : 'refused',
      ...(ok ? {} : { reason: reasonOf(reply.statusCode, payload) }),
    };
    deps.admin.audit.record(event);
    return payload;
  };
}

function detailsOf(request: FastifyRequest, target: Target, p: Record<string, string>): Record<string, unknown> {
  const extra = target.extra?.(p) ?? {};
  if (target.source === 'definitions') return { ...extra, ...(noted.get(request) ?? {}) };
  const body = request.body;
  const fields = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  return { ...extra, ...fields };
}

/** users/bulk-delete names its users in the body. */
function objectNameFromBody(body: unknown): string {
  const users = (body as { users?: unknown } | null)?.users;
  return Array.isArray(users) ? users.filter((u) => typeof u === 'string').join(',') : '';
}

/** The `reason` of a RabbitMQ-style error body, else the status code. */
function reasonOf(status: number, payload: unknown): string {
  if (typeof payload === 'string') {
    try {
      const body = JSON.parse(payload) as { error?: unknown; reason?: unknown };
      if (typeof body.reason === 'string') return typeof body.error === 'string' ? `${body.error}: ${body.reason}` : body.reason;
    } catch {
      // not JSON
    }
  }
  return `HTTP ${status}`;
}
