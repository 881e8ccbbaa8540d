import type { FastifyPluginAsync } from 'fastify';
import type { ManagementDeps } from '../deps';
import { collectDetailed, collectMetrics, PROMETHEUS_CONTENT_TYPE, renderExposition } from '../prometheus';
import { namedFields } from '../schemas/common';

/** `family` and `vhost` may each be given several times. */
interface DetailedQuery {
  family?: unknown;
  vhost?: unknown;
}

/**
 * Route config of endpoints that need no login. rabbitmq_prometheus serves /metrics without authentication, so
 * these routes are registered at the root (not under /api) and the app's authenticator skips them.
 */
export const PUBLIC_ROUTE = { public: true } as const;

/** Whether a route was registered with PUBLIC_ROUTE as its config. */
export function isPublicRoute(config: unknown): boolean {
  return (config as { public?: unknown } | undefined)?.public === true;
}

/** A query parameter given once, several times, or not at all, as a list. */
function list(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

/**
 * GET /metrics (aggregated), /metrics/per-object and /metrics/detailed?family=...&vhost=... (each parameter may
 * repeat; unknown families are ignored, as RabbitMQ does): Prometheus text exposition format 0.0.4.
 */
export function metricsRoutes(deps: ManagementDeps): FastifyPluginAsync {
  return async (app) => {
    for (const [url, perObject] of [
      ['/metrics', false],
      ['/metrics/per-object', true],
    ] as const) {
      app.route({
        method: 'GET',
        url,
        config: PUBLIC_ROUTE,
        handler: async (_request, reply) =>
          reply.type(PROMETHEUS_CONTENT_TYPE).send(renderExposition(collectMetrics(deps, perObject))),
      });
    }
    app.route<{ Querystring: DetailedQuery }>({
      method: 'GET',
      url: '/metrics/detailed',
      config: PUBLIC_ROUTE,
      schema: { querystring: namedFields(['family', 'vhost']) },
      handler: async (request, reply) => {
        const families = collectDetailed(deps, { families: list(request.query.family), vhosts: list(request.query.vhost) });
        return reply.type(PROMETHEUS_CONTENT_TYPE).send(renderExposition(families));
      },
    });
  };
}
