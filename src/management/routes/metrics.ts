import type { FastifyPluginAsync } from 'fastify';
import type { ManagementDeps } from '../deps';
import { collectMetrics, PROMETHEUS_CONTENT_TYPE, renderExposition } from '../prometheus';

/**
 * Route config of endpoints that need no login. rabbitmq_prometheus serves /metrics without authentication, so
 * these routes are registered at the root (not under /api) and the app's authenticator skips them.
 */
export const PUBLIC_ROUTE = { public: true } as const;

/** Whether a route was registered with PUBLIC_ROUTE as its config. */
export function isPublicRoute(config: unknown): boolean {
  return (config as { public?: unknown } | undefined)?.public === true;
}

/** GET /metrics (aggregated) and /metrics/per-object: Prometheus text exposition format 0.0.4. */
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
  };
}
