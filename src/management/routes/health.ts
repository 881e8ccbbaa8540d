import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { principalOf } from '../auth';
import { ApiError, Errors } from '../errors';
import type { ManagementDeps } from '../deps';
import { healthJson } from '../schemas/broker';
import { ok as okSchema, params } from '../schemas/common';
import { resource, vhostOr404, vhostParams } from '../support';

const healthy = { all: { schema: { response: okSchema(healthJson) } } };

const SERVICE_UNAVAILABLE = 503;
const DAY_MS = 86_400_000;
/** The certificate-expiration check's units (a month is 30 days, a year 365). */
const CERTIFICATE_UNITS: Readonly<Record<string, number>> = { days: DAY_MS, weeks: 7 * DAY_MS, months: 30 * DAY_MS, years: 365 * DAY_MS };
const ALIVENESS_QUEUE = 'aliveness-test';

/** rabbit_mgmt_util:is_authorized_vhost: administrators, or a permission entry on the vhost (tags aside). */
function requireVhostAccess(deps: ManagementDeps) {
  return async (request: FastifyRequest): Promise<void> => {
    const principal = principalOf(request);
    const vhost = (request.params as { vhost?: string }).vhost;
    if (principal.isAdmin || vhost === undefined || !deps.admin.entities.has(vhost)) return;
    if (!deps.admin.users.canAccessVhost(principal.name, vhost)) throw Errors.vhostForbidden();
  };
}

/** Health checks (200 {status: "ok"} or 503 {status: "failed", reason}) and the no-op aliveness test. */
export function healthRoutes(deps: ManagementDeps): FastifyPluginAsync {
  const ok = async (): Promise<{ status: string }> => ({ status: 'ok' });
  const failed = (reply: FastifyReply, reason: string, extra: Record<string, unknown> = {}): FastifyReply =>
    reply.code(SERVICE_UNAVAILABLE).send({ status: 'failed', reason, ...extra });
  // RabbitMQ's texts: the cluster check and the node's own; with one node they fail together.
  const alarms =
    (reason: string) =>
    async (_request: FastifyRequest, reply: FastifyReply): Promise<{ status: string } | FastifyReply> => {
      const { resources } = deps.admin.alarms();
      if (resources.length === 0) return { status: 'ok' };
      return failed(reply, reason, { alarms: resources.map((r) => ({ node: deps.node.name, resource: r })) });
    };
  return async (app) => {
    resource(app, '/health/checks/alarms', { GET: alarms('There are alarms in effect in the cluster') }, healthy);
    resource(app, '/health/checks/local-alarms', { GET: alarms('There are alarms in effect on the node') }, healthy);
    resource(app, '/health/checks/virtual-hosts', { GET: ok }, healthy);
    resource(app, '/health/checks/ready-to-serve-clients', { GET: ok }, healthy);
    resource(app, '/health/checks/is-in-service', { GET: ok }, healthy);
    resource(app, '/health/checks/node-is-quorum-critical', { GET: ok }, healthy);
    resource(app, '/health/checks/metadata-store/initialized', { GET: ok }, healthy);

    resource<{ Params: { port: string } }>(app, '/health/checks/port-listener/:port', {
      GET: async (request, reply) => {
        const text = request.params.port;
        const port = Number(text);
        if (!/^\d+$/.test(text) || port > 65535) {
          return reply.code(400).send({ error: 'bad_request', reason: `invalid port: ${text}` });
        }
        const ports = deps.node.amqpListeners.map((l) => l.port);
        if (ports.includes(port)) return { status: 'ok', port };
        return failed(reply, `No active listener on port ${port}`, { missing: port, ports });
      },
    }, { all: { schema: { params: params(['port']), response: okSchema(healthJson) } } });

    resource<{ Params: { protocol: string } }>(app, '/health/checks/protocol-listener/:protocol', {
      GET: async (request, reply) => {
        const wanted = request.params.protocol.toLowerCase();
        // AMQPS listeners ('amqp/ssl') answer to amqps, amqp/ssl and amqp091/ssl.
        const known = [...new Set(deps.node.amqpListeners.map((l) => (l.protocol === 'amqp/ssl' ? 'amqps' : 'amqp'))), 'http'];
        const normalised = wanted
          .replace(/[-/ ]/g, '')
          .replace(/^amqp091$|^amqp0\.9\.1$|^amqp0_9_1$/, 'amqp')
          .replace(/^amqp(091)?ssl$/, 'amqps');
        if (known.includes(normalised)) return { status: 'ok', protocol: wanted };
        return failed(reply, `No active listener for protocol ${wanted}`, { missing: wanted, protocols: known });
      },
    }, { all: { schema: { params: params(['protocol']), response: okSchema(healthJson) } } });

    // The TLS listeners' certificate (AMQPS and HTTPS share one) expires within the period: 503 listing it.
    resource<{ Params: { within: string; unit: string } }>(app, '/health/checks/certificate-expiration/:within/:unit', {
      GET: async (request, reply) => {
        const { within, unit } = request.params;
        if (!/^\d+$/.test(within)) return reply.code(400).send({ error: 'bad_request', reason: 'Invalid expiration value.' });
        const unitMs = Object.hasOwn(CERTIFICATE_UNITS, unit) ? CERTIFICATE_UNITS[unit] : undefined;
        if (unitMs === undefined) {
          return reply
            .code(400)
            .send({ error: 'bad_request', reason: 'Time unit not recognised. Supported units: days, weeks, months, years.' });
        }
        const cert = deps.node.certificate?.();
        if (cert !== undefined && cert.expiresAt <= Date.now() + Number(within) * unitMs) {
          const listeners = deps.node.amqpListeners.filter((l) => l.protocol === 'amqp/ssl');
          const expired = listeners.map((l) => ({ node: deps.node.name, protocol: l.protocol, interface: l.ip, port: l.port, subject: cert.subject, expires_on: cert.validTo }));
          return failed(reply, 'Certificates expiring', { expired });
        }
        return { status: 'ok' };
      },
    }, { all: { schema: { params: params(['within', 'unit']), response: okSchema(healthJson) } } });

    // rabbit_mgmt_wm_aliveness_test: the caller's own vhost access (is_authorized_vhost: monitoring is no
    // exception), then the permissions its declare / publish / get of the queue 'aliveness-test' need, with
    // RabbitMQ's ACCESS_REFUSED texts. Leveret declares nothing (spec/errata.md).
    resource<{ Params: { vhost: string } }>(
      app,
      '/aliveness-test/:vhost',
      {
        GET: async (request) => {
          const { vhost } = request.params;
          vhostOr404(deps, vhost);
          const user = principalOf(request).name;
          const refuse = (what: string): never => {
            throw new ApiError('not_authorised', `ACCESS_REFUSED - access to ${what} in vhost '${vhost}' refused for user '${user}'`);
          };
          if (!deps.admin.users.allows(user, vhost, 'configure', ALIVENESS_QUEUE)) refuse(`queue '${ALIVENESS_QUEUE}'`);
          if (!deps.admin.users.allows(user, vhost, 'write', 'amq.default')) refuse("exchange 'amq.default'");
          if (!deps.admin.users.allows(user, vhost, 'read', ALIVENESS_QUEUE)) refuse(`queue '${ALIVENESS_QUEUE}'`);
          return { status: 'ok' };
        },
      },
      { all: { onRequest: requireVhostAccess(deps), schema: { params: vhostParams, response: okSchema(healthJson) } } },
    );
  };
}
