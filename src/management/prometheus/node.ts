import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statfsSync } from 'node:fs';
import { totalmem } from 'node:os';
import type { Snapshot } from '../../admin/views/metrics';
import type { ManagementDeps } from '../deps';
import { PREFIX, type MetricFamily, type MetricType } from './exposition';

/* Node-wide families: identity, build, object counts, process figures, churn and the global counters. */

export function family(name: string, help: string, type: MetricType, value: number, labels?: Record<string, string>): MetricFamily {
  return { name, help, type, samples: [{ labels, value }] };
}

function gauge(name: string, help: string, value: number, labels?: Record<string, string>): MetricFamily {
  return family(PREFIX + name, help, 'gauge', value, labels);
}

function openFds(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}

/** The soft limit on open files (/proc/self/limits), as RabbitMQ reads ulimit -n. */
function maxFds(): number | undefined {
  try {
    const line = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'latin1'));
    return line === null ? undefined : Number(line[1]);
  } catch {
    return undefined;
  }
}

function diskFree(): number | undefined {
  try {
    const fs = statfsSync(process.cwd());
    return fs.bavail * fs.bsize;
  } catch {
    return undefined;
  }
}

/** Without an alarm monitor, as GET /api/nodes: RabbitMQ 3.13's default vm_memory_high_watermark and disk_free_limit. */
const MEMORY_WATERMARK = 0.4;
const DISK_FREE_LIMIT = 50_000_000;

/** A stable id for this node, in RabbitMQ's shape: the same every start for the same node name. */
export function clusterPermanentId(nodeName: string): string {
  return `rabbitmq-cluster-id-${createHash('sha256').update(nodeName).digest('base64url').slice(0, 22)}`;
}

export type Endpoint = 'aggregated' | 'per-object' | 'detailed';

export function infoFamilies(deps: ManagementDeps, endpoint: Endpoint): MetricFamily[] {
  const node = deps.node.name;
  return [
    gauge('identity_info', 'RabbitMQ node & cluster identity info', 1, {
      rabbitmq_node: node,
      rabbitmq_cluster: node,
      rabbitmq_cluster_permanent_id: clusterPermanentId(node),
      rabbitmq_endpoint: endpoint,
    }),
    gauge('build_info', 'RabbitMQ & Erlang/OTP version info', 1, {
      rabbitmq_version: deps.node.version,
      prometheus_plugin_version: deps.node.version,
      prometheus_client_version: deps.node.version,
      erlang_version: process.versions.node,
      product_name: deps.node.product,
      product_version: deps.node.version,
    }),
  ];
}

/** Node-wide families: object counts, process figures, resource limits, alarms. The same on /metrics and per-object. */
export function nodeFamilies(deps: ManagementDeps, snap: Snapshot): MetricFamily[] {
  const consumers = snap.queues.reduce((sum, q) => sum + q.consumerCount, 0);
  const channelCount = snap.connections.reduce((sum, c) => sum + c.channels, 0);
  const rss = process.memoryUsage.rss();
  const alarms = deps.admin.alarms().figures;
  const memLimit = alarms?.memLimit ?? Math.floor(totalmem() * MEMORY_WATERMARK);
  const fds = openFds();
  const max = maxFds();
  // RabbitMQ's alarm gauges: 1 while the alarm is in effect; the file descriptor one when every descriptor is used.
  const alarm = (name: string, help: string, on: boolean): MetricFamily => ({
    name: `${PREFIX}alarms_${name}`,
    help,
    type: 'gauge',
    samples: [{ value: on ? 1 : 0 }],
  });
  const families: MetricFamily[] = [
    gauge('connections', 'Connections currently open', snap.connections.length),
    gauge('channels', 'Channels currently open', channelCount),
    gauge('consumers', 'Consumers currently connected', consumers),
    gauge('queues', 'Queues available', snap.queues.length),
    gauge('process_resident_memory_bytes', 'Memory used in bytes', rss),
    gauge('resident_memory_limit_bytes', 'Memory high watermark in bytes', memLimit),
    gauge('disk_space_available_limit_bytes', 'Free disk space low watermark in bytes', alarms?.diskFreeLimit ?? DISK_FREE_LIMIT),
    gauge('process_open_tcp_sockets', 'Open TCP sockets', snap.connections.length),
    gauge('erlang_uptime_seconds', 'Node uptime', Math.round(process.uptime() * 1000) / 1000),
    family('process_start_time_seconds', 'Start time of the process since unix epoch in seconds.', 'gauge', Math.floor(deps.node.startedAt / 1000)),
    alarm('memory_used_watermark', 'is_memory_used_watermark_alarm', alarms?.memAlarm ?? false),
    alarm('free_disk_space_watermark', 'is_free_disk_space_watermark_alarm', alarms?.diskFreeAlarm ?? false),
    alarm('file_descriptor_limit', 'is_file_descriptor_limit_alarm', fds !== undefined && max !== undefined && fds >= max),
  ];
  if (fds !== undefined) families.push(gauge('process_open_fds', 'Open file descriptors', fds));
  if (max !== undefined) {
    families.push(gauge('process_max_fds', 'Open file descriptors limit', max));
    // RabbitMQ's socket limit is a share of the fd limit (file_handle_cache: 90 %, less a reserve of 2).
    families.push(gauge('process_max_tcp_sockets', 'Open TCP sockets limit', Math.max(0, Math.trunc(max * 0.9) - 2)));
  }
  const disk = alarms?.diskFree ?? diskFree();
  if (disk !== undefined) families.push(gauge('disk_space_available_bytes', 'Disk space available in bytes', disk));
  const ha = deps.node.ha?.figures();
  if (ha !== undefined) {
    // Leveret's own (an active/standby group on PostgreSQL): only the active node serves /metrics.
    families.push(
      family('leveret_ha_takeovers_total', 'Times this node took over as the active node', 'counter', ha.takeovers),
      family('leveret_ha_epoch', 'The leader epoch (fencing token) this node leads with', 'gauge', ha.epoch),
      family('leveret_ha_last_takeover_seconds', 'How long the last takeover took, from the lock to listening', 'gauge', ha.lastTakeoverMs / 1000),
    );
  }
  return families;
}

/** RabbitMQ's connection_churn_metrics; zeros without churn counters. */
export function churnFamilies(deps: ManagementDeps, prefix: string): MetricFamily[] {
  const counts = deps.churn?.counts;
  const c = (name: string, help: string, value: number | undefined): MetricFamily => family(prefix + name, help, 'counter', value ?? 0);
  return [
    c('connections_opened_total', 'Total number of connections opened', counts?.connection_created),
    c('connections_closed_total', 'Total number of connections closed or terminated', counts?.connection_closed),
    c('channels_opened_total', 'Total number of channels opened', counts?.channel_created),
    c('channels_closed_total', 'Total number of channels closed', counts?.channel_closed),
    c('queues_declared_total', 'Total number of queues declared', counts?.queue_declared),
    c('queues_created_total', 'Total number of queues created', counts?.queue_created),
    c('queues_deleted_total', 'Total number of queues deleted', counts?.queue_deleted),
  ];
}

const AMQP = { protocol: 'amqp091' } as const;

/**
 * RabbitMQ's global counters (rabbit_global_counters) for AMQP 0-9-1, from the broker-wide stats: they count from
 * the start of the process and never go back.
 */
export function globalFamilies(deps: ManagementDeps, snap: Snapshot): MetricFamily[] {
  const s = deps.stats;
  const c = (name: string, help: string, value: number): MetricFamily => family(`${PREFIX}global_${name}`, help, 'counter', value, AMQP);
  const families: MetricFamily[] = [
    c('messages_received_total', 'Total number of messages received from publishers', s.publish),
    c('messages_received_confirm_total', 'Total number of messages received from publishers expecting confirmations', s.received_confirm),
    c('messages_routed_total', 'Total number of messages routed to queues or streams', s.routed),
    c('messages_unroutable_dropped_total', 'Total number of messages published as non-mandatory into an exchange and dropped as unroutable', s.drop_unroutable),
    c('messages_unroutable_returned_total', 'Total number of messages published as mandatory into an exchange and returned to the publisher as unroutable', s.return_unroutable),
    c('messages_confirmed_total', 'Total number of messages confirmed to publishers', s.confirm),
    c('messages_delivered_total', 'Total number of messages delivered to consumers', s.deliver + s.deliver_no_ack + s.get + s.get_no_ack),
    c('messages_delivered_consume_manual_ack_total', 'Total number of messages delivered to consumers using basic.consume with manual acknowledgment', s.deliver),
    c('messages_delivered_consume_auto_ack_total', 'Total number of messages delivered to consumers using basic.consume with automatic acknowledgment', s.deliver_no_ack),
    c('messages_delivered_get_manual_ack_total', 'Total number of messages delivered to consumers using basic.get with manual acknowledgment', s.get),
    c('messages_delivered_get_auto_ack_total', 'Total number of messages delivered to consumers using basic.get with automatic acknowledgment', s.get_no_ack),
    c('messages_get_empty_total', 'Total number of times basic.get operations fetched no message', s.get_empty),
    c('messages_redelivered_total', 'Total number of messages redelivered to consumers', s.redeliver),
    c('messages_acknowledged_total', 'Total number of message acknowledgements received from consumers', s.ack),
    family(`${PREFIX}global_publishers`, 'Current number of publishers', 'gauge', snap.channels.filter((ch) => ch.stats.publish > 0).length, AMQP),
    family(`${PREFIX}global_consumers`, 'Current number of consumers', 'gauge', snap.channels.reduce((sum, ch) => sum + ch.consumers, 0), AMQP),
  ];
  const dead = deps.churn?.deadLettered;
  const labels = { queue_type: 'rabbit_classic_queue', dead_letter_strategy: 'at_most_once' };
  for (const [reason, help] of [
    ['expired', 'Total number of messages dead-lettered due to message TTL exceeded'],
    ['rejected', 'Total number of messages dead-lettered due to basic.reject or basic.nack'],
    ['maxlen', 'Total number of messages dead-lettered due to overflow drop-head or reject-publish-dlx'],
    ['delivery_limit', 'Total number of messages dead-lettered due to delivery-limit exceeded'],
  ] as const) {
    families.push(family(`${PREFIX}global_messages_dead_lettered_${reason}_total`, help, 'counter', dead?.[reason] ?? 0, labels));
  }
  return families;
}
