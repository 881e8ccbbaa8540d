import type { FastifyPluginAsync } from 'fastify';
import { requireAdmin } from '../auth';
import type { ManagementDeps } from '../deps';
import { Errors } from '../errors';
import { clusterNameBody, clusterNameJson, featureFlagJson, type ClusterNameBody } from '../schemas/broker';
import { arrayOf, BOOLEAN, object, ok, STRING } from '../schemas/common';
import { resource } from '../support';
import { PUBLIC_ROUTE } from './metrics';

/** The cluster name: the stored `cluster_name` global parameter, else the node name (RabbitMQ's default). */
export function clusterName(deps: ManagementDeps): string {
  return deps.admin.parameters.clusterName();
}

type Flag = readonly [name: string, desc: string, providedBy?: string, docUrl?: string];

/**
 * The feature flags a fresh RabbitMQ 3.13 node reports as enabled (`rabbitmqctl list_feature_flags`), all stable.
 * Leveret has no flags of its own: this list exists because tools (the management UI, rabbitmqadmin, Terraform)
 * read it, and every one of them describes behaviour Leveret has or that does not apply to one node.
 */
const FEATURE_FLAGS: readonly Flag[] = [
  ['classic_mirrored_queue_version', 'Support setting version for classic mirrored queues'],
  ['classic_queue_type_delivery_support', 'Bug fix for classic queue deliveries using mixed versions'],
  ['direct_exchange_routing_v2', 'v2 direct exchange routing implementation'],
  ['drop_unroutable_metric', 'Count unroutable publishes to be dropped in stats', 'rabbitmq_management_agent'],
  ['empty_basic_get_metric', 'Count AMQP `basic.get` on empty queues in stats', 'rabbitmq_management_agent'],
  ['feature_flags_v2', 'Feature flags subsystem V2'],
  ['implicit_default_bindings', 'Default bindings are now implicit, instead of being stored in the database'],
  ['listener_records_in_ets', 'Store listener records in ETS instead of Mnesia'],
  ['maintenance_mode_status', 'Maintenance mode status'],
  ['message_containers', 'Message containers.'],
  ['quorum_queue', 'Support queues of type `quorum`', undefined, 'https://www.rabbitmq.com/quorum-queues.html'],
  ['restart_streams', 'Support for restarting streams with optional preferred next leader argument.'],
  ['stream_filtering', 'Support for stream filtering.'],
  ['stream_queue', 'Support queues of type `stream`', undefined, 'https://www.rabbitmq.com/stream.html'],
  ['stream_sac_coordinator_unblock_group', 'Bug fix to unblock a group of consumers in a super stream partition'],
  ['stream_single_active_consumer', 'Single active consumer for streams'],
  ['stream_update_config_command', 'A new internal command that is used to update streams as part of a policy.'],
  ['tracking_records_in_ets', 'Store tracking records in ETS instead of Mnesia'],
  ['user_limits', 'Configure connection and channel limits for a user'],
  ['virtual_host_metadata', 'Virtual host metadata (description, tags, etc)'],
];

/** What RabbitMQ's management plugin lists with no other UI plugin enabled. */
const UI_EXTENSIONS = [{ javascript: 'dispatcher.js' }];

/**
 * Small RabbitMQ endpoints tools read: /api/cluster-name (GET: any management user; PUT: administrators),
 * /api/feature-flags (administrators), /api/auth (no login: the UI reads it before logging in; OAuth is off) and
 * /api/extensions (the UI's scripts: RabbitMQ's web UI loads its own pages as the extension dispatcher.js, and
 * starts only once every listed script has registered, so it is listed as RabbitMQ lists it).
 */
export function miscRoutes(deps: ManagementDeps): FastifyPluginAsync {
  return async (app) => {
    resource<{ Body: ClusterNameBody }>(
      app,
      '/cluster-name',
      {
        GET: async () => ({ name: clusterName(deps) }),
        PUT: async (request, reply) => {
          const { name } = request.body;
          if (name === undefined) throw Errors.keyMissing('name');
          deps.admin.parameters.setClusterName(name);
          return reply.code(204).send();
        },
      },
      { GET: { schema: { response: ok(clusterNameJson) } }, PUT: { onRequest: requireAdmin, schema: { body: clusterNameBody } } },
    );

    resource(
      app,
      '/feature-flags',
      {
        GET: async () =>
          FEATURE_FLAGS.map(([name, desc, providedBy, docUrl]) => ({
            name,
            desc,
            doc_url: docUrl ?? '',
            state: 'enabled',
            stability: 'stable',
            provided_by: providedBy ?? 'rabbit',
          })),
      },
      { all: { onRequest: requireAdmin, schema: { response: ok(arrayOf(featureFlagJson)) } } },
    );

    resource(app, '/auth', { GET: async () => ({ oauth_enabled: false }) }, { all: { config: PUBLIC_ROUTE, schema: { response: ok(object({ oauth_enabled: BOOLEAN })) } } });

    resource(app, '/extensions', { GET: async () => UI_EXTENSIONS }, { all: { schema: { response: ok(arrayOf(object({ javascript: STRING }))) } } });
  };
}
