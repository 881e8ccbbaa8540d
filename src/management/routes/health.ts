import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { vhostGate } from '../auth';
import type { ManagementDeps } from '../deps';
import { resource, vhostOr404, vhostParams } from '../support';

const SERVICE_UNAVAILABLE = 503;

/** Health checks (200 {status: "ok"} or 503 {status: "failed", reason}) and the no-op aliveness test. */
export function healthRoutes(deps: ManagementDeps): FastifyPluginAsync {
  const ok = async (): Promise<{ status: string }> => ({ status: 'ok' });
  const failed = (reply: FastifyReply, reason: string, extra: Record<string, unknown> = {}): FastifyReply =>
    reply.code(SERVICE_UNAVAILABLE).send({ status: 'failed', reason, ...extra });
  return async (app) => {
    resource(app, '/health/checks/alarms', { GET: ok });
    resource(app, '/health/checks/local-alarms', { GET: ok });
    resource(app, '/health/checks/virtual-hosts', { GET: ok });
    resource(app, '/health/checks/ready-to-serve-clients', { GET: ok });
    resource(app, '/health/checks/is-in-service', { GET: ok });
    resource(app, '/health/checks/node-is-quorum-critical', { GET: ok });
    resource(app, '/health/checks/metadata-store/initialized', { GET: ok });

    resource(app, '/health/checks/port-listener/:port', {
      GET: async (request, reply) => {
        const text = (request as FastifyRequest<{ Params: { port: string } }>).params.port;
        const port = Number(text);
        if (!/^\d+$/.test(text) || port > 65535) {
          return reply.code(400).send({ error: 'bad_request', reason: `invalid port: ${text}` });
        }
        const ports = deps.node.amqpListeners.map((l) => l.port);
        if (ports.includes(port)) return { status: 'ok', port };
        return failed(reply, `No active listener on port ${port}`, { missing: port, ports });
      },
    });

    resource(app, '/health/checks/protocol-listener/:protocol', {
      GET: async (request, reply) => {
        const wanted = (request as FastifyRequest<{ Params: { protocol: string } }>).params.protocol.toLowerCase();
        const known = deps.node.amqpListeners.length > 0 ? ['amqp', 'http'] : ['http'];
        const normalised = wanted.replace(/[-/ ]/g, '').replace(/^amqp091$|^amqp0\.9\.1$|^amqp0_9_1$/, 'amqp');
        if (known.includes(normalised)) return { status: 'ok', protocol: wanted };
        return failed(reply, `No active listener for protocol ${wanted}`, { missing: wanted, protocols: known });
      },
    });

    resource(
      app,
      '/aliveness-test/:vhost',
      {
        GET: async (request) => {
          vhostOr404(deps, (request as FastifyRequest<{ Params: { vhost: string } }>).params.vhost);
          return { status: 'ok' };
        },
      },
      { all: { onRequest: vhostGate(deps), schema: { params: vhostParams } } },
    );
  };
}
