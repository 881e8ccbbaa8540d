import type { FastifyPluginAsync } from 'fastify';
import { canSeeVhost, principalOf } from '../auth';
import type { ManagementDeps } from '../deps';
import { messageStatsJson, overviewHistory, parseRanges } from '../../observability/history';
import { ChurnStats } from '../../observability/stats';
import { overviewJson, whoamiJson } from '../schemas/broker';
import { ok } from '../schemas/common';
import { resource } from '../support';
import { clusterName } from './misc';

const EXCHANGE_DESCRIPTIONS: Readonly<Record<string, string>> = {
  direct: 'AMQP direct exchange, as per the AMQP specification',
  fanout: 'AMQP fanout exchange, as per the AMQP specification',
  topic: 'AMQP topic exchange, as per the AMQP specification',
  headers: 'AMQP headers exchange, as per the AMQP specification',
};

export function exchangeTypes(deps: ManagementDeps): Array<{ name: string; description: string; enabled: boolean }> {
  return deps.admin.entities.exchangeTypes().map((name) => ({ name, description: EXCHANGE_DESCRIPTIONS[name] ?? '', enabled: true }));
}

/** GET /api/overview (rabbit_mgmt_wm_overview): product, listeners and totals over the vhosts the user sees. */
export function overviewRoutes(deps: ManagementDeps): FastifyPluginAsync {
  return async (app) => {
    resource(app, '/overview', {
      GET: async (request) => {
        const principal = principalOf(request);
        const { node } = deps;
        const { queues, exchanges, consumers, messages, unacked } = deps.admin.entities.totals((vhost) => canSeeVhost(deps, principal, vhost));
        const { connections, channels } = deps.admin.connections.totals((user) => principal.isMonitor || user === principal.name);
        // The broker-wide history counts every vhost; a user who sees only some gets rates only when they see all.
        const seesAll = deps.admin.entities.names().every((vhost) => canSeeVhost(deps, principal, vhost));
        const history = seesAll ? overviewHistory(deps.stats) : undefined;
        const ranges = parseRanges(request.query);
        const now = Date.now();
        const details = (name: string): unknown => history?.details(name, ranges.lengths, now) ?? { rate: 0 };
        return {
          management_version: node.version,
          rates_mode: 'basic',
          // The ranges each kind of history answers (history-tiers.ts): queues reach a day, as the broker does.
          sample_retention_policies: { global: [600, 3600, 28800, 86400], basic: [600, 3600, 28800, 86400], detailed: [600] },
          exchange_types: exchangeTypes(deps),
          product_version: node.version,
          product_name: node.product,
          rabbitmq_version: node.version,
          cluster_name: clusterName(deps),
          cluster_tags: [],
          node_tags: [],
          erlang_version: process.versions.node,
          erlang_full_version: `Node.js ${process.version}`,
          crypto_lib_version: `OpenSSL ${process.versions.openssl}`,
          release_series_support_status: 'supported',
          disable_stats: false,
          default_queue_type: 'classic',
          is_op_policy_updating_enabled: true,
          enable_queue_totals: false,
          require_definition_json_extension: false,
          message_stats: messageStatsJson(deps.stats, overviewHistory(deps.stats), ranges.msg_rates, now, true),
          churn_rates: (deps.churn ?? new ChurnStats()).toJSON(),
          queue_totals: {
            messages: messages + unacked,
            messages_details: details('messages'),
            messages_ready: messages,
            messages_ready_details: details('messages_ready'),
            messages_unacknowledged: unacked,
            messages_unacknowledged_details: details('messages_unacknowledged'),
          },
          object_totals: { channels, connections, consumers, exchanges, queues },
          statistics_db_event_queue: 0,
          node: node.name,
          listeners: node.amqpListeners.map((l) => ({
            node: node.name,
            protocol: l.protocol ?? 'amqp',
            ip_address: l.ip,
            port: l.port,
            socket_opts: {},
          })),
          contexts: [],
          // Leveret's own: the node's limits in force, by their rabbitmq.conf names (README "Limits").
          leveret_limits: node.limits ?? {},
        };
      },
    }, { all: { schema: { response: ok(overviewJson) } } });

    resource(app, '/whoami', {
      GET: async (request) => {
        const principal = principalOf(request);
        return { name: principal.name, tags: [...principal.tags], is_internal_user: true };
      },
    }, { all: { schema: { response: ok(whoamiJson) } } });
  };
}
