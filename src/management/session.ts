import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { LoggedIn } from '../admin/users';
import type { ManagementDeps } from './deps';
import { Errors } from './errors';
import { PUBLIC_ROUTE } from './routes/metrics';
import { namedFields, object, ok, STRING, STRINGS } from './schemas/common';

/** GET /api/leveret/session: the session's user, or null. */
const sessionJson = object({ user: { anyOf: [{ type: 'null' }, object({ name: STRING, tags: STRINGS })] } });

/*
 * The web UI's login session. The browser holds only an opaque random token in an HttpOnly, SameSite=Strict cookie:
 * no script can read it and no other site's page can make the browser send it. The password is checked once, at
 * login, with the same throttle as every other login. A session ends at logout, after SESSION_IDLE_MS without a
 * request (RabbitMQ's login_session_timeout default, 480 minutes), when the user is deleted or its password changes,
 * and when the broker restarts (sessions live in memory). Basic auth keeps working for API clients.
 *
 * A request authenticated by the cookie that changes state must also carry the UI's header (UI_HEADER): a page on
 * another site cannot add a header without a CORS preflight, which this API never grants. That is on top of the
 * Origin and content-type checks every state-changing request gets (csrf.ts).
 */

export const SESSION_COOKIE = 'leveret_session';
/** Sent by the web UI with every request; never asked for a Basic dialog, required for cookie-authenticated changes. */
export const UI_HEADER = 'x-leveret-ui';
export const SESSION_IDLE_MS = 480 * 60_000;
/** The most sessions kept at once; a new login past it ends the one idle the longest. */
export const MAX_SESSIONS = 10_000;

interface Session {
  readonly user: string;
  readonly credentialStamp: string;
  lastSeen: number;
}

/** Sessions by token, in the order they were last used (a Map keeps insertion order; a use re-inserts). */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly idleMs = SESSION_IDLE_MS,
    private readonly max = MAX_SESSIONS,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  open(user: LoggedIn): string {
    while (this.sessions.size >= this.max) {
      const oldest = this.sessions.keys().next().value as string;
      this.sessions.delete(oldest);
    }
    const token = randomBytes(32).toString('base64url');
    this.sessions.set(token, { user: user.name, credentialStamp: user.credentialStamp, lastSeen: this.now() });
    return token;
  }

  /** The session of a token, refreshed; undefined when unknown or idle too long (then forgotten). */
  use(token: string): { user: string; credentialStamp: string } | undefined {
    const session = this.sessions.get(token);
    if (session === undefined) return undefined;
    this.sessions.delete(token);
    const now = this.now();
    if (now - session.lastSeen > this.idleMs) return undefined;
    session.lastSeen = now;
    this.sessions.set(token, session);
    return session;
  }

  close(token: string): void {
    this.sessions.delete(token);
  }
}

/** The session token a request's Cookie header carries, if any. */
export function sessionToken(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === SESSION_COOKIE) {
      const value = part.slice(eq + 1).trim();
      return /^[A-Za-z0-9_-]{20,100}$/.test(value) ? value : undefined;
    }
  }
  return undefined;
}

function cookie(request: FastifyRequest, value: string, maxAgeSeconds: number): string {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`;
}

/**
 * GET /api/leveret/session: `{ user: { name, tags } }` for the session's user, `{ user: null }` without a live session
 * (200 either way: the UI asks before it knows, and a 401 would be logged as an error by the browser). POST
 * {username, password} logs in and sets the cookie (204); DELETE logs out (204, the cookie cleared). None of these
 * answers with a Basic challenge, which would open the browser's own login dialog.
 */
export function sessionRoutes(
  deps: ManagementDeps,
  sessions: SessionStore,
  identify: (request: FastifyRequest) => LoggedIn | undefined,
) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    app.route({
      method: 'GET',
      url: '/leveret/session',
      config: PUBLIC_ROUTE,
      schema: { response: ok(sessionJson) },
      handler: async (request) => {
        const user = identify(request);
        return { user: user === undefined || !hasManagementTag(user.tags) ? null : { name: user.name, tags: user.tags } };
      },
    });
    app.route<{ Body: { username?: unknown; password?: unknown } }>({
      method: 'POST',
      url: '/leveret/session',
      config: PUBLIC_ROUTE,
      schema: { body: namedFields(['username', 'password']) },
      handler: async (request, reply: FastifyReply) => {
        const { username, password } = request.body;
        if (typeof username !== 'string' || typeof password !== 'string') {
          throw Errors.badRequest('username and password must be strings');
        }
        const peer = request.socket.remoteAddress ?? request.ip;
        const user = await deps.admin.users.login(username, password, peer);
        if (user === 'invalid') throw Errors.sessionEnded();
        if (user === 'loopback-only') throw Errors.loopbackOnly();
        if (!hasManagementTag(user.tags)) throw Errors.notManagementUser();
        const token = sessions.open(user);
        return reply.code(204).header('set-cookie', cookie(request, token, Math.floor(SESSION_IDLE_MS / 1000))).send();
      },
    });
    app.route({
      method: 'DELETE',
      url: '/leveret/session',
      config: PUBLIC_ROUTE,
      handler: async (request, reply) => {
        const token = sessionToken(request);
        if (token !== undefined) sessions.close(token);
        return reply.code(204).header('set-cookie', cookie(request, '', 0)).send();
      },
    });
  };
}

export const MANAGEMENT_TAGS: ReadonlySet<string> = new Set(['management', 'policymaker', 'monitoring', 'administrator']);

export function hasManagementTag(tags: readonly string[]): boolean {
  return tags.some((t) => MANAGEMENT_TAGS.has(t));
}
