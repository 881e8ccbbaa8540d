import type { FastifyReply, FastifyRequest } from 'fastify';
import type { LoggedIn, PermissionKind, ResourceKind } from '../admin/users';
import type { ManagementDeps } from './deps';
import { Errors } from './errors';
import { hasManagementTag, sessionToken, UI_HEADER, type SessionStore } from './session';

/** The authenticated user of a request and what their tags let them do (rabbit_mgmt_util is_admin/is_monitor...). */
export interface Principal {
  readonly name: string;
  readonly tags: readonly string[];
  readonly isAdmin: boolean;
  /** administrator or monitoring: sees every vhost and every connection. */
  readonly isMonitor: boolean;
  readonly isPolicymaker: boolean;
}

const principals = new WeakMap<FastifyRequest, Principal>();

export function principalOf(request: FastifyRequest): Principal {
  const principal = principals.get(request);
  if (principal === undefined) throw Errors.loginFailed();
  return principal;
}

/** Parses `Authorization: Basic ...`; undefined when absent or malformed. */
export function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  if (header === undefined) return undefined;
  const match = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (match === null) return undefined;
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * onRequest hook for every /api route: HTTP Basic against the broker's users, or else the web UI's session cookie
 * (session.ts), then the management tag gate. A refused login (bad credentials, or a loopback-only user from
 * elsewhere) logs one line and its 401 is held back when the peer failed recently (the administrative service's login
 * throttle, shared with AMQP). A request without credentials is not a login attempt: browsers send one first to be
 * asked for them. The web UI's requests (UI_HEADER) are never answered with a Basic challenge, which would open the
 * browser's own login dialog over the UI's.
 */
export function authenticator(deps: ManagementDeps, sessions: SessionStore) {
  return async function authenticate(request: FastifyRequest): Promise<void> {
    const fromUi = request.headers[UI_HEADER] !== undefined;
    const credentials = basicCredentials(request.headers.authorization) ?? queryCredentials(request);
    const peer = request.socket.remoteAddress ?? request.ip;
    let user: LoggedIn | undefined;
    if (credentials !== undefined) {
      const login = await deps.admin.users.login(credentials.user, credentials.password, peer);
      if (login === 'invalid') throw fromUi ? Errors.sessionEnded() : Errors.loginFailed();
      if (login === 'loopback-only') throw Errors.loopbackOnly();
      user = login;
    } else {
      user = sessionUser(deps, sessions, request, peer);
      if (user === undefined) throw fromUi ? Errors.sessionEnded() : Errors.loginFailed();
      // A change made with the cookie alone must come from the UI's own script (session.ts).
      if (!SAFE_METHODS.has(request.method) && !fromUi) throw Errors.forbidden(`a change made with the session cookie needs the ${UI_HEADER} header`);
    }
    const tags = user.tags;
    if (!hasManagementTag(tags)) throw Errors.notManagementUser();
    const isAdmin = tags.includes('administrator');
    principals.set(request, {
      name: user.name,
      tags,
      isAdmin,
      isMonitor: isAdmin || tags.includes('monitoring'),
      isPolicymaker: isAdmin || tags.includes('policymaker'),
    });
  };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The user of the request's session cookie as it is now; a session whose user changed is closed. */
export function sessionUser(
  deps: ManagementDeps,
  sessions: SessionStore,
  request: FastifyRequest,
  peer: string | undefined = request.socket.remoteAddress ?? request.ip,
): LoggedIn | undefined {
  const token = sessionToken(request);
  if (token === undefined) return undefined;
  const session = sessions.use(token);
  if (session === undefined) return undefined;
  const user = deps.admin.users.current(session.user, session.credentialStamp, peer);
  if (user === undefined) sessions.close(token);
  return user;
}

/** The definitions download and upload links of RabbitMQ's web UI: /api/definitions[/{vhost}]?auth=... */
const DEFINITIONS_PATH = /^\/api\/definitions(\/[^/?]*)?(\?|$)/;

/**
 * `?auth=<base64 of user:password>`, which RabbitMQ's definitions resource (only that one) accepts in place of the
 * Authorization header: the web UI's download link and upload form send it (rabbit_mgmt_wm_definitions).
 */
function queryCredentials(request: FastifyRequest): { user: string; password: string } | undefined {
  if (!DEFINITIONS_PATH.test(request.url)) return undefined;
  const auth = (request.query as Record<string, unknown> | undefined)?.auth;
  return typeof auth === 'string' && auth !== '' ? basicCredentials(`Basic ${auth}`) : undefined;
}

/** Route onRequest hook: administrator only. */
export async function requireAdmin(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  if (!principalOf(request).isAdmin) throw Errors.notAdministrator();
}

/** Route onRequest hook: administrator or monitoring. */
export async function requireMonitor(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  if (!principalOf(request).isMonitor) throw Errors.notMonitor();
}

/**
 * Route onRequest hook for /{vhost}/ routes (rabbit_mgmt_util is_authorized_vhost[_visible_for_monitoring]): an
 * administrator may use any vhost, a monitoring user may read any, others need permissions on it. An unknown vhost
 * passes here and is answered 404 by the route.
 */
export function vhostGate(deps: ManagementDeps) {
  return async function requireVhost(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const principal = principalOf(request);
    if (principal.isAdmin) return;
    const vhost = (request.params as { vhost?: string }).vhost;
    if (vhost === undefined || !deps.admin.entities.has(vhost)) return;
    if (principal.isMonitor && (request.method === 'GET' || request.method === 'HEAD')) return;
    if (!deps.admin.users.canAccessVhost(principal.name, vhost)) throw Errors.vhostForbidden();
  };
}

/** Whether the principal may see a vhost's objects in lists. */
export function canSeeVhost(deps: ManagementDeps, principal: Principal, vhost: string): boolean {
  return principal.isMonitor || deps.admin.users.canAccessVhost(principal.name, vhost);
}

/** An AMQP-level permission check for a write through the API (RabbitMQ checks the user's permissions too). */
export function checkPermission(
  deps: ManagementDeps,
  principal: Principal,
  vhost: string,
  kind: PermissionKind,
  resource: ResourceKind,
  name: string,
): void {
  const subject = resource === 'exchange' && name === '' ? 'amq.default' : name;
  if (!deps.admin.users.allows(principal.name, vhost, kind, subject)) throw Errors.accessRefused();
}
