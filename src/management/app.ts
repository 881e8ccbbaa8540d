import Fastify, { LogController, type FastifyInstance, type FastifyReply } from 'fastify';
import { auditHook } from './audit-hook';
import { authenticator, sessionUser } from './auth';
import { refuseForgedRequests } from './csrf';
import { startLazyManagement, type ManagementServer } from './server';
import type { ManagementDeps } from './deps';
import { Errors, toApiError } from './errors';
import { auditRoutes } from './routes/audit';
import { bindingRoutes } from './routes/bindings';
import { channelRoutes } from './routes/channels';
import { connectionRoutes } from './routes/connections';
import { consumerRoutes } from './routes/consumers';
import { definitionRoutes } from './routes/definitions';
import { exchangeRoutes } from './routes/exchanges';
import { haRoutes } from './routes/ha';
import { healthRoutes } from './routes/health';
import { isPublicRoute, metricsRoutes } from './routes/metrics';
import { limitRoutes } from './routes/limits';
import { messageRoutes } from './routes/messages';
import { miscRoutes } from './routes/misc';
import { nodeRoutes } from './routes/nodes';
import { overviewRoutes } from './routes/overview';
import { parameterRoutes } from './routes/parameters';
import { permissionRoutes } from './routes/permissions';
import { policyRoutes } from './routes/policies';
import { quarantineRoutes } from './routes/quarantine';
import { tailRoutes } from './routes/tail';
import { queueHealthRoutes } from './routes/queue-health';
import { browseRoutes } from './routes/browse';
import { queueRoutes } from './routes/queues';
import { routingRoutes } from './routes/routing';
import { topicPermissionRoutes } from './routes/topic-permissions';
import { userRoutes } from './routes/users';
import { vhostRoutes } from './routes/vhosts';
import { fillMissingSamples, parseRanges } from '../observability/history';
import { parseJsonBody } from './body';
import { SessionStore, sessionRoutes } from './session';
import { DEFAULT_UI_DIR, SECURITY_HEADERS, uiRoutes } from './ui';

/** RabbitMQ's default management.http.max_body_size. */
const BODY_LIMIT = 20 * 1024 * 1024;
const MAX_PARAM_LENGTH = 1024;

/**
 * The RabbitMQ-compatible management API as a Fastify app (not listening; see startManagement). Every /api route
 * needs HTTP Basic credentials of a user with a management tag; errors are RabbitMQ's `{error, reason}` bodies.
 */
export function buildManagementApp(deps: ManagementDeps): FastifyInstance {
  const app = Fastify({
    ...(deps.logger === undefined ? { logger: false } : { loggerInstance: deps.logger }),
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.maxBodySize ?? BODY_LIMIT,
    // A path segment holds a name of up to 255 bytes, percent-encoded up to 765 characters; find-my-way's default
    // (100) refused longer queue names with its own body. Longer segments and bad percent-encoding get the error body.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: (err, _request, reply) => {
      const api = toApiError(err);
      void (reply as FastifyReply).code(api.statusCode).headers(api.headers).send(api.body);
    },
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
  }) as unknown as FastifyInstance;

  // Bodies are decoded as JSON: "", "null" and "undefined" mean {}. RabbitMQ does this whatever the content type; the
  // onRequest hook below has already refused a body of any other type than application/json (csrf.ts).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  // Responses are written by JSON.stringify, whatever their schema says. The response schemas pin RabbitMQ's field
  // names and types (the test fixture checks every response against them), but fast-json-stringify, which would
  // otherwise write them, is no faster here: the API's objects are open (arguments, message_stats, the *_details a
  // range fills), and for 10,000 queues it took about 10 times as long as JSON.stringify (620 ms against 67 ms,
  // README). It would also drop undeclared keys and turn a null into 0 or "".
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  app.setErrorHandler((err, request, reply) => {
    const api = toApiError(err);
    if (api.statusCode >= 500) request.log.error({ err }, 'management API error');
    void reply.code(api.statusCode).headers(api.headers).send(api.body);
  });
  app.setNotFoundHandler((_request, reply) => {
    const api = Errors.objectNotFound();
    void reply.code(api.statusCode).send(api.body);
  });

  const sessions = new SessionStore();
  const authenticate = authenticator(deps, sessions);
  // Routes registered with PUBLIC_ROUTE (Prometheus' /metrics) need no login, as in RabbitMQ.
  app.addHook('onRequest', async (request) => {
    await refuseForgedRequests(request);
    if (!isPublicRoute(request.routeOptions.config)) await authenticate(request);
  });
  // A PUT or POST without a body means {} (rabbit_mgmt_util:decode(<<>>)), before the body schemas run.
  app.addHook('preValidation', async (request) => {
    if (request.body === undefined || request.body === null) request.body = {};
  });
  // RabbitMQ's web UI draws a chart for every *_details it gets with a range; figures without a history get theirs.
  app.addHook('preSerialization', async (request, _reply, payload) => {
    if (typeof request.url === 'string' && request.url.includes('_age=')) fillMissingSamples(payload, parseRanges(request.query), Date.now());
    return payload;
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-cache');
    reply.headers(SECURITY_HEADERS);
    return payload;
  });
  app.addHook('onSend', auditHook(deps));

  const api = { prefix: '/api' };
  void app.register(overviewRoutes(deps), api);
  void app.register(nodeRoutes(deps), api);
  void app.register(vhostRoutes(deps), api);
  void app.register(userRoutes(deps), api);
  void app.register(permissionRoutes(deps), api);
  void app.register(exchangeRoutes(deps), api);
  void app.register(queueRoutes(deps), api);
  void app.register(bindingRoutes(deps), api);
  void app.register(connectionRoutes(deps), api);
  void app.register(healthRoutes(deps), api);
  void app.register(haRoutes(deps), api);
  void app.register(definitionRoutes(deps), api);
  void app.register(policyRoutes(deps), api);
  void app.register(parameterRoutes(deps), api);
  void app.register(limitRoutes(deps), api);
  void app.register(topicPermissionRoutes(deps), api);
  void app.register(messageRoutes(deps), api);
  void app.register(channelRoutes(deps), api);
  void app.register(consumerRoutes(deps), api);
  void app.register(quarantineRoutes(deps), api);
  void app.register(routingRoutes(deps), api);
  void app.register(tailRoutes(deps), api);
  void app.register(queueHealthRoutes(deps), api);
  void app.register(auditRoutes(deps), api);
  void app.register(browseRoutes(deps), api);
  void app.register(miscRoutes(deps), api);
  void app.register(sessionRoutes(deps, sessions, (request) => sessionUser(deps, sessions, request)), api);
  void app.register(metricsRoutes(deps));
  void app.register(uiRoutes(deps.uiDir ?? DEFAULT_UI_DIR));
  return app;
}


/**
 * Serves the app on each bind address (IPv6-only for ':' addresses, so '0.0.0.0' and '::' can share a port). A missing
 * address family is skipped when other addresses work. Port 0 picks one ephemeral port, reused for every address.
 */
/** Serves an already built app on every address (tests; the broker starts it lazily, see server.ts). */
export async function startManagement(
  app: FastifyInstance,
  options: { bind: readonly string[]; port: number },
): Promise<ManagementServer> {
  await app.ready();
  return startLazyManagement(async () => app, options, app.log);
}
