import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { MAX_TAILS_PER_USER, type TailSubscription, type TailTarget } from '../../admin/tail';
import { checkPermission, principalOf, vhostGate } from '../auth';
import type { ManagementDeps } from '../deps';
import { Errors } from '../errors';
import { namedFields } from '../schemas/common';
import { exchangeId, resource, vhostNameParams, vhostOr404 } from '../support';
import { SECURITY_HEADERS } from '../ui';

interface TailRequest {
  Params: { vhost: string; name: string };
  Querystring: { max_bytes?: unknown };
}

const DEFAULT_MAX_BYTES = 4096;
const MAX_MAX_BYTES = 1 << 20;

const schema = { params: vhostNameParams, querystring: namedFields(['max_bytes']) };

/**
 * GET /api/leveret/exchanges/{vh}/{x}/tail and GET /api/leveret/queues/{vh}/{q}/tail: live tails as Server-Sent
 * Events (admin/tail.ts). Every refusal (login, vhost, permission, not found, bad max_bytes, too many tails) is the
 * API's JSON error, answered before the stream starts; after that the response belongs to the subscription, which
 * ends when the reader goes away, the exchange or queue is deleted, or the server closes.
 */
export function tailRoutes(deps: ManagementDeps): FastifyPluginAsync {
  const open = new Set<TailSubscription>();

  const start = (request: FastifyRequest<TailRequest>, reply: FastifyReply, kind: 'exchange' | 'queue'): FastifyReply | undefined => {
    const { vhost, name: rawName } = request.params;
    vhostOr404(deps, vhost);
    const name = kind === 'exchange' ? exchangeId(rawName) : rawName;
    const exists = kind === 'exchange' ? deps.admin.entities.exchangeFacts(vhost, name) !== undefined : deps.admin.entities.hasQueue(vhost, name);
    if (!exists) throw Errors.objectNotFound();
    const maxBytes = parseMaxBytes(request.query.max_bytes);
    const principal = principalOf(request);
    // Reading what passes through an exchange is what binding a queue to it allows (read on the exchange).
    checkPermission(deps, principal, vhost, 'read', kind, name);
    const target: TailTarget = kind === 'exchange' ? { exchange: name } : { queue: name };
    const raw = reply.raw;
    const sink = {
      write: (chunk: string): boolean => raw.write(chunk),
      onDrain: (listener: () => void): void => {
        raw.once('drain', listener);
      },
      end: (): void => {
        raw.end();
      },
    };
    if (request.method === 'HEAD') {
      // Returned, so that the async handler does not send a second time (a HEAD logged ERR_HTTP_HEADERS_SENT).
      return reply.header('content-type', 'text/event-stream; charset=utf-8').send('');
    }
    const tails = deps.admin.tails;
    if (tails.openCount(principal.name) >= MAX_TAILS_PER_USER) {
      throw Errors.tooManyRequests(`at most ${MAX_TAILS_PER_USER} live tails may be open at once per user`);
    }
    reply.hijack();
    raw.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
    });
    raw.socket?.setNoDelay(true);
    const subscription = tails.open(principal.name, vhost, target, sink, { maxBytes });
    if (typeof subscription === 'string') {
      // Not reachable in one turn after the checks above; kept so a refusal can never leave the stream open.
      raw.end(`event: end\ndata: ${JSON.stringify({ reason: subscription })}\n\n`);
      return undefined;
    }
    open.add(subscription);
    raw.once('close', () => {
      open.delete(subscription);
      subscription.close();
    });
    return undefined;
  };

  return async (app) => {
    // preClose: before the server waits for its connections, which a stream would otherwise hold open.
    app.addHook('preClose', async () => {
      for (const subscription of open) subscription.end('server closing');
      open.clear();
    });
    resource<TailRequest>(
      app,
      '/leveret/exchanges/:vhost/:name/tail',
      { GET: async (request, reply) => start(request, reply, 'exchange') },
      { all: { onRequest: vhostGate(deps), schema } },
    );
    resource<TailRequest>(
      app,
      '/leveret/queues/:vhost/:name/tail',
      { GET: async (request, reply) => start(request, reply, 'queue') },
      { all: { onRequest: vhostGate(deps), schema } },
    );
  };
}

function parseMaxBytes(value: unknown): number {
  if (value === undefined) return DEFAULT_MAX_BYTES;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw Errors.badRequest('max_bytes must be a non-negative integer');
  return Math.min(n, MAX_MAX_BYTES);
}
