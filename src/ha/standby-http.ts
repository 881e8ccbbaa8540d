import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { HaView, StandbyServer } from './node';
import type { NodeRow } from './lock-session';

/*
 * What a standby answers on the management port. It has no broker to show, so it says what it is and who is active:
 *
 *   GET /api/leveret/ha             200, the group as this node sees it (no authentication, as the active node's)
 *   GET /api/health/checks/...      503 {status: "failed", reason: "... standby ... active node is ..."}: a load
 *                                   balancer's health check sends traffic to the active node only
 *   GET /api/nodes                  200, every node with its role (RabbitMQ's node fields that apply, plus
 *                                   leveret_role); Basic authentication, a user tagged monitoring or administrator
 *   anything else                   503 {error: "standby", reason: ...} in RabbitMQ's error shape
 *
 * Plain node:http: Fastify and the management app are the active node's; a standby keeps its footprint small.
 */

export interface StandbyHttpOptions {
  readonly host: string;
  readonly port: number;
  status(): HaView;
  /** True when user/password log in with a monitoring (or higher) tag; reads the users from the database. */
  authenticate(user: string, password: string): Promise<boolean>;
}

/** The JSON of GET /api/leveret/ha on either role. */
export function haJson(view: HaView): Record<string, unknown> {
  return {
    node: view.node,
    role: view.role,
    epoch: view.epoch,
    leader: view.leader === null ? null : { ...view.leader, since: new Date(view.leader.since).toISOString() },
    lease_ms: view.leaseMs,
    takeovers: view.takeovers,
    last_takeover_ms: view.lastTakeoverMs,
    nodes: view.nodes.map((n) => nodeJson(view, n)),
  };
}

/** One row of /api/nodes for a node other than the one answering (or for a standby's own row). */
export function nodeJson(view: HaView, n: NodeRow): Record<string, unknown> {
  return {
    name: n.name,
    type: 'disc',
    running: Date.now() - n.seenAt <= view.leaseMs * 2,
    leveret_role: n.role === 'active' && view.leader?.node === n.name ? 'active' : 'standby',
    leveret_amqp: n.amqp,
    leveret_http: n.http,
    leveret_seen_at: new Date(n.seenAt).toISOString(),
    uptime: Math.max(0, n.seenAt - n.startedAt),
  };
}

function standbyReason(view: HaView): string {
  const leader = view.leader;
  return leader === null
    ? `node ${view.node} is a standby; no node is active`
    : `node ${view.node} is a standby; the active node is ${leader.node} (AMQP ${leader.amqp}, HTTP ${leader.http})`;
}

function send(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-cache', ...headers });
  res.end(text);
}

function basicCredentials(req: IncomingMessage): [string, string] | undefined {
  const header = req.headers.authorization;
  if (header === undefined || !/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : [decoded.slice(0, colon), decoded.slice(colon + 1)];
}

async function handle(options: StandbyHttpOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  const view = options.status();
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 503, { error: 'standby', reason: standbyReason(view) });
    return;
  }
  if (path === '/api/leveret/ha') {
    send(res, 200, haJson(view));
    return;
  }
  if (path.startsWith('/api/health/checks/')) {
    send(res, 503, { status: 'failed', reason: standbyReason(view) });
    return;
  }
  if (path === '/api/nodes' || path.startsWith('/api/nodes/')) {
    const credentials = basicCredentials(req);
    if (credentials === undefined || !(await options.authenticate(...credentials))) {
      send(res, 401, { error: 'not_authorized', reason: 'Login failed' }, { 'www-authenticate': 'Basic realm="RabbitMQ Management"' });
      return;
    }
    const rows = view.nodes.map((n) => nodeJson(view, n));
    if (path === '/api/nodes') {
      send(res, 200, rows);
      return;
    }
    let name: string;
    try {
      name = decodeURIComponent(path.slice('/api/nodes/'.length));
    } catch {
      send(res, 400, { error: 'bad_request', reason: 'malformed percent-encoding in the path' });
      return;
    }
    const row = rows.find((r) => r.name === name);
    if (row === undefined) send(res, 404, { error: 'Object Not Found', reason: 'Not Found' });
    else send(res, 200, row);
    return;
  }
  send(res, 503, { error: 'standby', reason: standbyReason(view) });
}

/** Listens on host:port; resolves once listening. */
export async function startStandbyHttp(options: StandbyHttpOptions): Promise<StandbyServer> {
  const server: Server = createServer((req, res) => {
    req.resume();
    handle(options, req, res).catch(() => {
      if (!res.headersSent) send(res, 503, { error: 'standby', reason: 'the database cannot be reached' });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
