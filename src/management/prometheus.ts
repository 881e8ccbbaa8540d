import { readdirSync } from 'node:fs';
import type { Counter, MessageStats } from '../observability/stats';
import type { ManagementDeps } from './deps';
import { allChannels } from './routes/channels';

/*
 * Prometheus text exposition (format 0.0.4) with rabbitmq_prometheus' metric names
 * (prometheus_rabbitmq_core_metrics_collector.erl; shared/reference/management-api.md §2.5).
 *
 * /metrics is the aggregated endpoint: every family is one unlabelled sample, the sum over all objects.
 * /metrics/per-object gives queue, exchange, channel and connection families one sample per object, labelled
 * vhost + queue / exchange / channel / connection. The broker-wide families (connections, queues, identity_info,
 * process memory ...) are the same on both.
 *
 * Aggregated channel counters come from the broker-wide MessageStats, so they keep counting after a channel
 * closes (per-object channel counters only cover open channels, as in RabbitMQ). Queue and exchange counters
 * cover the objects that exist now.
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
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  value(object: T): number;
}

function objectFamilies<T>(
  metrics: ReadonlyArray<ObjectMetric<T>>,
  objects: readonly T[],
  labels: (object: T) => Record<string, string>,
  perObject: boolean,
): MetricFamily[] {
  return metrics.map((m) => ({
    name: PREFIX + m.name,
    help: m.help,
    type: m.type,
    samples: perObject
      ? objects.map((o) => ({ labels: labels(o), value: m.value(o) }))
      : [{ value: objects.reduce((sum, o) => sum + m.value(o), 0) }],
  }));
}

function counter<T>(name: string, help: string, read: (object: T) => MessageStats, key: Counter): ObjectMetric<T> {
  return { name, help, type: 'counter', value: (o) => read(o)[key] };
}

interface QueueView {
  readonly vhost: string;
  readonly name: string;
  readonly ready: number;
  readonly unacked: number;
  readonly consumers: number;
  readonly stats: MessageStats;
}

const queueStats = (q: QueueView): MessageStats => q.stats;

const QUEUE_METRICS: ReadonlyArray<ObjectMetric<QueueView>> = [
  { name: 'queue_messages', help: 'Sum of ready and unacknowledged messages - total queue depth', type: 'gauge', value: (q) => q.ready + q.unacked },
  { name: 'queue_messages_ready', help: 'Messages ready to be delivered to consumers', type: 'gauge', value: (q) => q.ready },
  { name: 'queue_messages_unacked', help: 'Messages delivered to consumers but not yet acknowledged', type: 'gauge', value: (q) => q.unacked },
  { name: 'queue_consumers', help: 'Consumers on a queue', type: 'gauge', value: (q) => q.consumers },
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
  readonly prefetch: number;
  readonly consumers: number;
  readonly stats: MessageStats;
}

const channelStats = (c: ChannelView): MessageStats => c.stats;

/** Channel counters; aggregated they read the broker-wide stats (same keys). */
const CHANNEL_COUNTERS: ReadonlyArray<readonly [string, string, Counter]> = [
  ['channel_messages_published_total', 'Total number of messages published into an exchange on a channel', 'publish'],
  ['channel_messages_confirmed_total', 'Total number of messages published into an exchange and confirmed on the channel', 'confirm'],
  ['channel_messages_unroutable_returned_total', 'Total number of messages published as mandatory into an exchange and returned to the publisher as unroutable', 'return_unroutable'],
  ['channel_messages_unroutable_dropped_total', 'Total number of messages published as non-mandatory into an exchange and dropped as unroutable', 'drop_unroutable'],
  ['channel_messages_delivered_total', 'Total number of messages delivered to consumers in automatic acknowledgement mode', 'deliver_no_ack'],
  ['channel_messages_delivered_ack_total', 'Total number of messages delivered to consumers in manual acknowledgement mode', 'deliver'],
  ['channel_messages_redelivered_total', 'Total number of messages redelivered to consumers', 'redeliver'],
  ['channel_messages_acked_total', 'Total number of messages acknowledged by consumers', 'ack'],
  ['channel_get_total', 'Total number of messages fetched with basic.get in automatic acknowledgement mode', 'get_no_ack'],
  ['channel_get_ack_total', 'Total number of messages fetched with basic.get in manual acknowledgement mode', 'get'],
  ['channel_get_empty_total', 'Total number of times basic.get operations fetched no message', 'get_empty'],
];

const CHANNEL_GAUGES: ReadonlyArray<ObjectMetric<ChannelView>> = [
  { name: 'channel_consumers', help: 'Consumers on a channel', type: 'gauge', value: (c) => c.consumers },
  { name: 'channel_messages_unacked', help: 'Delivered but not yet acknowledged messages', type: 'gauge', value: (c) => c.unacked },
  { name: 'channel_messages_unconfirmed', help: 'Published but not yet confirmed messages', type: 'gauge', value: (c) => c.unconfirmed },
  { name: 'channel_prefetch', help: 'Total limit of unacknowledged messages for all consumers on a channel', type: 'gauge', value: (c) => c.prefetch },
];

interface ConnectionView {
  readonly vhost: string;
  readonly name: string;
  readonly channels: number;
}

const CONNECTION_METRICS: ReadonlyArray<ObjectMetric<ConnectionView>> = [
  { name: 'connection_channels', help: 'Channels on a connection', type: 'gauge', value: (c) => c.channels },
];

function gauge(name: string, help: string, value: number, labels?: Record<string, string>): MetricFamily {
  return { name: PREFIX + name, help, type: 'gauge', samples: [{ labels, value }] };
}

function openFds(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}

/** Every metric family of the broker now, aggregated or per object. */
export function collectMetrics(deps: ManagementDeps, perObject: boolean): MetricFamily[] {
  const queues: QueueView[] = [];
  const exchanges: ExchangeView[] = [];
  for (const { record, vhost } of deps.vhosts.list()) {
    for (const q of vhost.queues.values()) {
      queues.push({ vhost: record.name, name: q.name, ready: q.messageCount, unacked: q.unackedCount, consumers: q.consumerCount, stats: q.stats });
    }
    for (const x of vhost.exchanges.values()) exchanges.push({ vhost: record.name, name: x.name, stats: x.stats });
  }
  const connections: ConnectionView[] = [];
  for (const c of deps.connections()) connections.push({ vhost: c.vhost, name: c.name, channels: c.channelCount });
  const channels: ChannelView[] = allChannels(deps).map((e) => ({
    vhost: e.connection.vhost,
    name: e.name,
    unacked: e.channel.messagesUnacknowledged,
    unconfirmed: e.channel.messagesUnconfirmed,
    prefetch: e.channel.globalPrefetchCount,
    consumers: e.channel.consumers.length,
    stats: e.channel.stats,
  }));
  const consumers = queues.reduce((sum, q) => sum + q.consumers, 0);
  const channelCount = connections.reduce((sum, c) => sum + c.channels, 0);

  const node = deps.node.name;
  const families: MetricFamily[] = [
    gauge('identity_info', 'RabbitMQ node & cluster identity info', 1, {
      rabbitmq_node: node,
      rabbitmq_cluster: node,
      rabbitmq_endpoint: perObject ? 'per-object' : 'aggregated',
    }),
    gauge('build_info', 'RabbitMQ & Erlang/OTP version info', 1, {
      rabbitmq_version: deps.node.version,
      product_name: deps.node.product,
      product_version: deps.node.version,
      erlang_version: process.versions.node,
    }),
    gauge('connections', 'Connections currently open', connections.length),
    gauge('channels', 'Channels currently open', channelCount),
    gauge('consumers', 'Consumers currently connected', consumers),
    gauge('queues', 'Queues available', queues.length),
    gauge('process_resident_memory_bytes', 'Memory used in bytes', process.memoryUsage.rss()),
  ];
  const fds = openFds();
  if (fds !== undefined) families.push(gauge('process_open_fds', 'Open file descriptors', fds));
  const churn = deps.churn;
  if (churn !== undefined) {
    const churnCounter = (name: string, help: string, value: number): MetricFamily => ({
      name: PREFIX + name,
      help,
      type: 'counter',
      samples: [{ value }],
    });
    families.push(
      churnCounter('connections_opened_total', 'Total number of connections opened', churn.counts.connection_created),
      churnCounter('connections_closed_total', 'Total number of connections closed or terminated', churn.counts.connection_closed),
    );
  }

  const queueLabels = (q: QueueView) => ({ vhost: q.vhost, queue: q.name });
  families.push(...objectFamilies(QUEUE_METRICS, queues, queueLabels, perObject));
  families.push(...objectFamilies(EXCHANGE_METRICS, exchanges, (x) => ({ vhost: x.vhost, exchange: x.name }), perObject));

  if (perObject) {
    const metrics = CHANNEL_COUNTERS.map(([name, help, key]) => counter(name, help, channelStats, key));
    families.push(...objectFamilies(metrics, channels, (c) => ({ vhost: c.vhost, channel: c.name }), true));
  } else {
    const stats = deps.stats;
    for (const [name, help, key] of CHANNEL_COUNTERS) {
      families.push({ name: PREFIX + name, help, type: 'counter', samples: [{ value: stats[key] }] });
    }
  }
  families.push(...objectFamilies(CHANNEL_GAUGES, channels, (c) => ({ vhost: c.vhost, channel: c.name }), perObject));
  families.push(...objectFamilies(CONNECTION_METRICS, connections, (c) => ({ vhost: c.vhost, connection: c.name }), perObject));
  return families;
}
