import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statfsSync } from 'node:fs';
import { totalmem } from 'node:os';
import type { Counter, MessageStats } from '../observability/stats';
import type { Queue } from '../queue/queue';
import type { ManagementDeps } from './deps';
import { allChannels } from './routes/channels';

/*
 * Prometheus text exposition (format 0.0.4) with rabbitmq_prometheus' metric names, types, HELP texts and labels
 * (RabbitMQ 3.10's core and global collectors; shared/reference/management-api.md §2.5). Three endpoints:
 *
 * - /metrics (aggregated): node families (identity, build, object counts, churn, process figures), the global
 *   counters, and every object family as one unlabelled sample, the sum over all objects.
 * - /metrics/per-object: the same, but queue, exchange, channel and connection families have one sample per object
 *   (labels vhost + queue / exchange / channel / connection).
 * - /metrics/detailed?family=...&vhost=...: only the families asked for (RabbitMQ's family groups, DETAILED_FAMILIES),
 *   per object, named rabbitmq_detailed_* (rabbitmq_cluster_* for vhost_status, exchange_names, exchange_bindings);
 *   `vhost` keeps the objects of those vhosts. Identity and build info always.
 *
 * Aggregated channel counters and the global counters come from the broker-wide MessageStats, so they keep counting
 * after a channel closes (per-object channel counters only cover open channels, as in RabbitMQ). Queue and exchange
 * counters cover the objects that exist now.
 *
 * Where RabbitMQ's figure is Erlang's own (reductions, Erlang processes, GC, schedulers, mnesia, raft, IO ops of
 * its message store) there is no family. Node-equivalent figures: open fds from /proc/self/fd, max fds from
 * /proc/self/limits, resident memory from process.memoryUsage.rss(), uptime from process.uptime(), disk space from
 * statfs of the working directory. Differences from RabbitMQ 3.10 (each is a figure Leveret does not split):
 * the global counters carry `protocol` but not `queue_type`; per-object channel counters are labelled
 * vhost + channel (one sample per channel), not split per exchange or queue; dead_lettered counters carry
 * dead_letter_strategy="at_most_once" only (a message dropped without a dead-letter exchange is not counted);
 * alarms are always 0 (Leveret blocks no publishers on memory or disk).
 */

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type MetricType = 'counter' | 'gauge';

export interface Sample {
  readonly labels?: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface MetricFamily {
  /** Full name, prefix included; counters end in _total. */
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly samples: readonly Sample[];
}

const PREFIX = 'rabbitmq_';

/** Renders families as exposition text. Families without samples are left out. */
export function renderExposition(families: readonly MetricFamily[]): string {
  let out = '';
  for (const family of families) {
    if (family.samples.length === 0) continue;
    out += `# HELP ${family.name} ${escapeHelp(family.help)}\n# TYPE ${family.name} ${family.type}\n`;
    for (const sample of family.samples) out += `${family.name}${renderLabels(sample.labels)} ${formatValue(sample.value)}\n`;
  }
  return out;
}

function renderLabels(labels: Readonly<Record<string, string>> | undefined): string {
  if (labels === undefined) return '';
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  return `{${keys.map((k) => `${k}="${escapeLabel(labels[k] as string)}"`).join(',')}}`;
}

export function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/** One metric over a set of objects: per-object samples, or their sum as one unlabelled sample. */
interface ObjectMetric<T> {
  /** Name without prefix. */
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  /** undefined: Leveret does not know this figure for this object (the family is left out when none does). */
  value(object: T): number | undefined;
}

function objectFamilies<T>(
  prefix: string,
  metrics: ReadonlyArray<ObjectMetric<T>>,
  objects: readonly T[],
  labels: (object: T) => Record<string, string>,
  perObject: boolean,
): MetricFamily[] {
  const out: MetricFamily[] = [];
  for (const m of metrics) {
    const samples: Sample[] = [];
    let sum = 0;
    let known = false;
    for (const o of objects) {
      const value = m.value(o);
      if (value === undefined) continue;
      known = true;
      if (perObject) samples.push({ labels: labels(o), value });
      else sum += value;
    }
    if (!perObject && (known || objects.length === 0)) samples.push({ value: sum });
    out.push({ name: prefix + m.name, help: m.help, type: m.type, samples });
  }
  return out;
}

function counter<T>(name: string, help: string, read: (object: T) => MessageStats, key: Counter): ObjectMetric<T> {
  return { name, help, type: 'counter', value: (o) => read(o)[key] };
}

function gaugeOf<T>(name: string, help: string, value: (object: T) => number | undefined): ObjectMetric<T> {
  return { name, help, type: 'gauge', value };
}

/** Queue figures another part of the broker may or may not keep; read when present. */
type QueueExtras = Partial<Record<'unackedBytes' | 'persistentCount' | 'persistentBytes' | 'readyInMemory' | 'pagedOut' | 'tailBytes', number>>;

interface QueueView {
  readonly vhost: string;
  readonly name: string;
  readonly queue: Queue & QueueExtras;
  readonly stats: MessageStats;
}

const queueStats = (q: QueueView): MessageStats => q.stats;
const extra = (q: QueueView, key: keyof QueueExtras): number | undefined => {
  const value = q.queue[key];
  return typeof value === 'number' ? value : undefined;
};
const plus = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined || b === undefined ? undefined : a + b;

/** RabbitMQ's queue_coarse_metrics. */
const QUEUE_COARSE: ReadonlyArray<ObjectMetric<QueueView>> = [
  gaugeOf('queue_messages_ready', 'Messages ready to be delivered to consumers', (q) => q.queue.messageCount),
  gaugeOf('queue_messages_unacked', 'Messages delivered to consumers but not yet acknowledged', (q) => q.queue.unackedCount),
  gaugeOf('queue_messages', 'Sum of ready and unacknowledged messages - total queue depth', (q) => q.queue.messageCount + q.queue.unackedCount),
];

/** RabbitMQ's queue_consumer_count. */
const QUEUE_CONSUMER_COUNT: ReadonlyArray<ObjectMetric<QueueView>> = [
  gaugeOf('queue_consumers', 'Consumers on a queue', (q) => q.queue.consumerCount),
];

/** RabbitMQ's queue_metrics, the figures Leveret keeps. */
const QUEUE_DETAIL: ReadonlyArray<ObjectMetric<QueueView>> = [
  gaugeOf('queue_messages_ready_bytes', 'Size in bytes of ready messages', (q) => q.queue.readyBytes),
  gaugeOf('queue_messages_unacked_bytes', 'Size in bytes of all unacknowledged messages', (q) => extra(q, 'unackedBytes')),
  gaugeOf('queue_messages_bytes', 'Size in bytes of ready and unacknowledged messages', (q) => plus(q.queue.readyBytes, extra(q, 'unackedBytes'))),
  gaugeOf('queue_messages_ready_ram', 'Ready messages stored in memory', (q) => extra(q, 'readyInMemory')),
  gaugeOf('queue_messages_unacked_ram', 'Unacknowledged messages stored in memory', (q) => (extra(q, 'readyInMemory') === undefined ? undefined : q.queue.unackedCount)),
  gaugeOf('queue_messages_ram', 'Ready and unacknowledged messages stored in memory', (q) => plus(extra(q, 'readyInMemory'), q.queue.unackedCount)),
  gaugeOf('queue_messages_persistent', 'Persistent messages', (q) => extra(q, 'persistentCount')),
  gaugeOf('queue_messages_persistent_bytes', 'Size in bytes of persistent messages', (q) => extra(q, 'persistentBytes')),
  gaugeOf('queue_messages_paged_out', 'Messages paged out to disk', (q) => extra(q, 'pagedOut')),
  gaugeOf('queue_messages_paged_out_bytes', 'Size in bytes of messages paged out to disk', (q) => extra(q, 'tailBytes')),
];

/** Per-queue delivery counters (RabbitMQ's later queue_delivery_metrics; the queue's own message_stats). */
const QUEUE_DELIVERY: ReadonlyArray<ObjectMetric<QueueView>> = [
  counter('queue_messages_published_total', 'Total number of messages published to queues', queueStats, 'publish'),
  counter('queue_messages_delivered_total', 'Total number of messages delivered to consumers in automatic acknowledgement mode', queueStats, 'deliver_no_ack'),
  counter('queue_messages_delivered_ack_total', 'Total number of messages delivered to consumers in manual acknowledgement mode', queueStats, 'deliver'),
  counter('queue_messages_acked_total', 'Total number of messages acknowledged by consumers on a queue', queueStats, 'ack'),
  counter('queue_messages_redelivered_total', 'Total number of messages redelivered from a queue to consumers', queueStats, 'redeliver'),
  counter('queue_get_total', 'Total number of messages fetched from a queue with basic.get in automatic acknowledgement mode', queueStats, 'get_no_ack'),
  counter('queue_get_ack_total', 'Total number of messages fetched from a queue with basic.get in manual acknowledgement mode', queueStats, 'get'),
  counter('queue_get_empty_total', 'Total number of times basic.get operations fetched no message on a queue', queueStats, 'get_empty'),
];

interface ExchangeView {
  readonly vhost: string;
  readonly name: string;
  readonly type: string;
  readonly bindings: number;
  readonly stats: MessageStats;
}

const EXCHANGE_METRICS: ReadonlyArray<ObjectMetric<ExchangeView>> = [
  counter('exchange_messages_published_total', 'Total number of messages published into an exchange', (x) => x.stats, 'publish_in'),
  counter('exchange_messages_routed_total', 'Total number of messages an exchange routed to queues (once per queue)', (x) => x.stats, 'publish_out'),
];

interface ChannelView {
  readonly vhost: string;
  readonly name: string;
  readonly unacked: number;
  readonly unconfirmed: number;
  readonly uncommitted: number;
  readonly acksUncommitted: number;
  readonly prefetch: number;
  readonly consumerPrefetch: number;
  readonly consumers: number;
  readonly stats: MessageStats;
}

const channelStats = (c: ChannelView): MessageStats => c.stats;

/** RabbitMQ's channel_exchange_metrics: publishing counters. Aggregated, they read the broker-wide stats. */
const CHANNEL_EXCHANGE: ReadonlyArray<readonly [string, string, Counter]> = [
  ['channel_messages_published_total', 'Total number of messages published into an exchange on a channel', 'publish'],
  ['channel_messages_confirmed_total', 'Total number of messages published into an exchange and confirmed on the channel', 'confirm'],
  ['channel_messages_unroutable_returned_total', 'Total number of messages published as mandatory into an exchange and returned to the publisher as unroutable', 'return_unroutable'],
  ['channel_messages_unroutable_dropped_total', 'Total number of messages published as non-mandatory into an exchange and dropped as unroutable', 'drop_unroutable'],
];

/** RabbitMQ's channel_queue_metrics: delivery counters. */
const CHANNEL_QUEUE: ReadonlyArray<readonly [string, string, Counter]> = [
  ['channel_get_ack_total', 'Total number of messages fetched with basic.get in manual acknowledgement mode', 'get'],
  ['channel_get_total', 'Total number of messages fetched with basic.get in automatic acknowledgement mode', 'get_no_ack'],
  ['channel_messages_delivered_ack_total', 'Total number of messages delivered to consumers in manual acknowledgement mode', 'deliver'],
  ['channel_messages_delivered_total', 'Total number of messages delivered to consumers in automatic acknowledgement mode', 'deliver_no_ack'],
  ['channel_messages_redelivered_total', 'Total number of messages redelivered to consumers', 'redeliver'],
  ['channel_messages_acked_total', 'Total number of messages acknowledged by consumers', 'ack'],
  ['channel_get_empty_total', 'Total number of times basic.get operations fetched no message', 'get_empty'],
];

/** RabbitMQ's channel_metrics. */
const CHANNEL_GAUGES: ReadonlyArray<ObjectMetric<ChannelView>> = [
  gaugeOf('channel_consumers', 'Consumers on a channel', (c) => c.consumers),
  gaugeOf('channel_messages_unacked', 'Delivered but not yet acknowledged messages', (c) => c.unacked),
  gaugeOf('channel_messages_unconfirmed', 'Published but not yet confirmed messages', (c) => c.unconfirmed),
  gaugeOf('channel_messages_uncommitted', 'Messages received in a transaction but not yet committed', (c) => c.uncommitted),
  gaugeOf('channel_acks_uncommitted', 'Message acknowledgements in a transaction not yet committed', (c) => c.acksUncommitted),
  gaugeOf('consumer_prefetch', 'Limit of unacknowledged messages for each consumer', (c) => c.consumerPrefetch),
  gaugeOf('channel_prefetch', 'Total limit of unacknowledged messages for all consumers on a channel', (c) => c.prefetch),
];

interface ConnectionView {
  readonly vhost: string;
  readonly name: string;
  readonly channels: number;
  readonly recvOct: number | undefined;
  readonly sendOct: number | undefined;
}

/** RabbitMQ's connection_coarse_metrics (reductions left out). */
const CONNECTION_COARSE: ReadonlyArray<ObjectMetric<ConnectionView>> = [
  { name: 'connection_incoming_bytes_total', help: 'Total number of bytes received on a connection', type: 'counter', value: (c) => c.recvOct },
  { name: 'connection_outgoing_bytes_total', help: 'Total number of bytes sent on a connection', type: 'counter', value: (c) => c.sendOct },
];

/** RabbitMQ's connection_metrics (packet counts left out: Leveret counts bytes, not socket reads). */
const CONNECTION_METRICS: ReadonlyArray<ObjectMetric<ConnectionView>> = [
  gaugeOf('connection_channels', 'Channels on a connection', (c) => c.channels),
];

/** Everything /metrics reads about the broker at one moment; `vhosts` keeps only those vhosts' objects. */
interface Snapshot {
  readonly queues: QueueView[];
  readonly exchanges: ExchangeView[];
  readonly channels: ChannelView[];
  readonly connections: ConnectionView[];
  readonly vhostNames: string[];
}

function snapshot(deps: ManagementDeps, vhosts?: ReadonlySet<string>): Snapshot {
  const keep = (name: string): boolean => vhosts === undefined || vhosts.has(name);
  const queues: QueueView[] = [];
  const exchanges: ExchangeView[] = [];
  const vhostNames: string[] = [];
  for (const { record, vhost } of deps.vhosts.list()) {
    if (!keep(record.name)) continue;
    vhostNames.push(record.name);
    for (const q of vhost.queues.values()) queues.push({ vhost: record.name, name: q.name, queue: q, stats: q.stats });
    for (const x of vhost.exchanges.values()) {
      exchanges.push({ vhost: record.name, name: x.name, type: x.type.name, bindings: x.sourceBindings, stats: x.stats });
    }
  }
  const connections: ConnectionView[] = [];
  for (const c of deps.connections()) {
    if (keep(c.vhost)) connections.push({ vhost: c.vhost, name: c.name, channels: c.channelCount, recvOct: c.recvOct, sendOct: c.sendOct });
  }
  const channels: ChannelView[] = [];
  for (const e of allChannels(deps)) {
    if (!keep(e.connection.vhost)) continue;
    channels.push({
      vhost: e.connection.vhost,
      name: e.name,
      unacked: e.channel.messagesUnacknowledged,
      unconfirmed: e.channel.messagesUnconfirmed,
      uncommitted: e.channel.messagesUncommitted,
      acksUncommitted: e.channel.acksUncommitted,
      prefetch: e.channel.globalPrefetchCount,
      consumerPrefetch: e.channel.prefetchCount,
      consumers: e.channel.consumers.length,
      stats: e.channel.stats,
    });
  }
  return { queues, exchanges, channels, connections, vhostNames };
}

function family(name: string, help: string, type: MetricType, value: number, labels?: Record<string, string>): MetricFamily {
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

/** The same as GET /api/nodes: RabbitMQ's default vm_memory_high_watermark and disk_free_limit. */
const MEMORY_WATERMARK = 0.6;
const DISK_FREE_LIMIT = 50_000_000;

/** A stable id for this node, in RabbitMQ's shape: the same every start for the same node name. */
export function clusterPermanentId(nodeName: string): string {
  return `rabbitmq-cluster-id-${createHash('sha256').update(nodeName).digest('base64url').slice(0, 22)}`;
}

type Endpoint = 'aggregated' | 'per-object' | 'detailed';

function infoFamilies(deps: ManagementDeps, endpoint: Endpoint): MetricFamily[] {
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
function nodeFamilies(deps: ManagementDeps, snap: Snapshot): MetricFamily[] {
  const consumers = snap.queues.reduce((sum, q) => sum + q.queue.consumerCount, 0);
  const channelCount = snap.connections.reduce((sum, c) => sum + c.channels, 0);
  const rss = process.memoryUsage.rss();
  const memLimit = Math.floor(totalmem() * MEMORY_WATERMARK);
  const families: MetricFamily[] = [
    gauge('connections', 'Connections currently open', snap.connections.length),
    gauge('channels', 'Channels currently open', channelCount),
    gauge('consumers', 'Consumers currently connected', consumers),
    gauge('queues', 'Queues available', snap.queues.length),
    gauge('process_resident_memory_bytes', 'Memory used in bytes', rss),
    gauge('resident_memory_limit_bytes', 'Memory high watermark in bytes', memLimit),
    gauge('disk_space_available_limit_bytes', 'Free disk space low watermark in bytes', DISK_FREE_LIMIT),
    gauge('process_open_tcp_sockets', 'Open TCP sockets', snap.connections.length),
    gauge('erlang_uptime_seconds', 'Node uptime', Math.round(process.uptime() * 1000) / 1000),
    family('process_start_time_seconds', 'Start time of the process since unix epoch in seconds.', 'gauge', Math.floor(deps.node.startedAt / 1000)),
    { name: `${PREFIX}alarms_memory_used_watermark`, help: 'is_memory_used_watermark_alarm', type: 'gauge', samples: [{ value: 0 }] },
    { name: `${PREFIX}alarms_free_disk_space_watermark`, help: 'is_free_disk_space_watermark_alarm', type: 'gauge', samples: [{ value: 0 }] },
    { name: `${PREFIX}alarms_file_descriptor_limit`, help: 'is_file_descriptor_limit_alarm', type: 'gauge', samples: [{ value: 0 }] },
  ];
  const fds = openFds();
  if (fds !== undefined) families.push(gauge('process_open_fds', 'Open file descriptors', fds));
  const max = maxFds();
  if (max !== undefined) {
    families.push(gauge('process_max_fds', 'Open file descriptors limit', max));
    // RabbitMQ's socket limit is a share of the fd limit (file_handle_cache: 90 %, less a reserve of 2).
    families.push(gauge('process_max_tcp_sockets', 'Open TCP sockets limit', Math.max(0, Math.trunc(max * 0.9) - 2)));
  }
  const disk = diskFree();
  if (disk !== undefined) families.push(gauge('disk_space_available_bytes', 'Disk space available in bytes', disk));
  return families;
}

/** RabbitMQ's connection_churn_metrics; zeros without churn counters. */
function churnFamilies(deps: ManagementDeps, prefix: string): MetricFamily[] {
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
function globalFamilies(deps: ManagementDeps, snap: Snapshot): MetricFamily[] {
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

/** The object families of one detailed family group, per object. */
type Group = (snap: Snapshot, prefix: string, perObject: boolean) => MetricFamily[];

const queueLabels = (q: QueueView) => ({ vhost: q.vhost, queue: q.name });
const exchangeLabels = (x: ExchangeView) => ({ vhost: x.vhost, exchange: x.name });
const channelLabels = (c: ChannelView) => ({ vhost: c.vhost, channel: c.name });
const connectionLabels = (c: ConnectionView) => ({ vhost: c.vhost, connection: c.name });

function channelCounters(names: ReadonlyArray<readonly [string, string, Counter]>): ReadonlyArray<ObjectMetric<ChannelView>> {
  return names.map(([name, help, key]) => counter(name, help, channelStats, key));
}

/**
 * The groups of /metrics/detailed?family=..., by RabbitMQ's names, in the order they are rendered; the same groups
 * make up the object part of /metrics and /metrics/per-object.
 */
const GROUPS: ReadonlyArray<readonly [string, Group]> = [
  ['queue_coarse_metrics', (s, p, per) => objectFamilies(p, QUEUE_COARSE, s.queues, queueLabels, per)],
  ['queue_consumer_count', (s, p, per) => objectFamilies(p, QUEUE_CONSUMER_COUNT, s.queues, queueLabels, per)],
  ['queue_metrics', (s, p, per) => objectFamilies(p, QUEUE_DETAIL, s.queues, queueLabels, per)],
  ['queue_delivery_metrics', (s, p, per) => objectFamilies(p, QUEUE_DELIVERY, s.queues, queueLabels, per)],
  ['exchange_metrics', (s, p, per) => objectFamilies(p, EXCHANGE_METRICS, s.exchanges, exchangeLabels, per)],
  ['channel_metrics', (s, p, per) => objectFamilies(p, CHANNEL_GAUGES, s.channels, channelLabels, per)],
  ['channel_exchange_metrics', (s, p, per) => objectFamilies(p, channelCounters(CHANNEL_EXCHANGE), s.channels, channelLabels, per)],
  ['channel_queue_metrics', (s, p, per) => objectFamilies(p, channelCounters(CHANNEL_QUEUE), s.channels, channelLabels, per)],
  ['connection_coarse_metrics', (s, p, per) => objectFamilies(p, CONNECTION_COARSE, s.connections, connectionLabels, per)],
  ['connection_metrics', (s, p, per) => objectFamilies(p, CONNECTION_METRICS, s.connections, connectionLabels, per)],
];

/** Groups that only /metrics/detailed has: cluster-wide enumerations, named rabbitmq_cluster_*. */
const CLUSTER_GROUPS: ReadonlyArray<readonly [string, (s: Snapshot) => MetricFamily]> = [
  [
    'vhost_status',
    (s) => ({
      name: `${PREFIX}cluster_vhost_status`,
      help: 'Whether a given vhost is running',
      type: 'gauge',
      samples: s.vhostNames.map((vhost) => ({ labels: { vhost }, value: 1 })),
    }),
  ],
  [
    'exchange_names',
    (s) => ({
      name: `${PREFIX}cluster_exchange_name`,
      help: 'Enumerates exchanges without any additional info. This value is cluster-wide. A cheaper alternative to `exchange_bindings`',
      type: 'gauge',
      samples: s.exchanges.map((x) => ({ labels: { vhost: x.vhost, exchange: x.name, type: x.type }, value: 1 })),
    }),
  ],
  [
    'exchange_bindings',
    (s) => ({
      name: `${PREFIX}cluster_exchange_bindings`,
      help: 'Number of bindings for an exchange. This value is cluster-wide.',
      type: 'gauge',
      samples: s.exchanges.map((x) => ({ labels: { vhost: x.vhost, exchange: x.name, type: x.type }, value: x.bindings })),
    }),
  ],
];

/** Every family name /metrics/detailed accepts in `family=`. */
export const DETAILED_FAMILIES: readonly string[] = [
  'connection_churn_metrics',
  ...GROUPS.map(([name]) => name),
  ...CLUSTER_GROUPS.map(([name]) => name),
];

/** Every metric family of the broker now, aggregated (/metrics) or per object (/metrics/per-object). */
export function collectMetrics(deps: ManagementDeps, perObject: boolean): MetricFamily[] {
  const snap = snapshot(deps);
  const families: MetricFamily[] = [
    ...infoFamilies(deps, perObject ? 'per-object' : 'aggregated'),
    ...nodeFamilies(deps, snap),
    ...churnFamilies(deps, PREFIX),
    ...globalFamilies(deps, snap),
  ];
  for (const [name, group] of GROUPS) {
    if (!perObject && (name === 'channel_exchange_metrics' || name === 'channel_queue_metrics')) {
      // Aggregated channel counters read the broker-wide stats, which outlive closed channels.
      const stats = deps.stats;
      const names = name === 'channel_exchange_metrics' ? CHANNEL_EXCHANGE : CHANNEL_QUEUE;
      for (const [metric, help, key] of names) families.push(family(PREFIX + metric, help, 'counter', stats[key]));
      continue;
    }
    families.push(...group(snap, PREFIX, perObject));
  }
  return families;
}

/** /metrics/detailed: the families asked for, per object, of the vhosts asked for (all when none). */
export function collectDetailed(deps: ManagementDeps, query: { families: readonly string[]; vhosts: readonly string[] }): MetricFamily[] {
  const wanted = new Set(query.families);
  const snap = snapshot(deps, query.vhosts.length > 0 ? new Set(query.vhosts) : undefined);
  const families = infoFamilies(deps, 'detailed');
  const prefix = `${PREFIX}detailed_`;
  if (wanted.has('connection_churn_metrics')) families.push(...churnFamilies(deps, prefix));
  for (const [name, group] of GROUPS) if (wanted.has(name)) families.push(...group(snap, prefix, true));
  for (const [name, make] of CLUSTER_GROUPS) if (wanted.has(name)) families.push(make(snap));
  return families;
}
