import type { ChannelView, ConnectionView, ExchangeView, QueueView, Snapshot } from '../../admin/views/metrics';
import type { Counter, MessageStats } from '../../observability/stats';
import { PREFIX, type MetricFamily, type MetricType, type Sample } from './exposition';

/* The per-object families: queues, exchanges, channels and connections, by RabbitMQ's family groups. */

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

const queueStats = (q: QueueView): MessageStats => q.stats;
const plus = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined || b === undefined ? undefined : a + b;

/** RabbitMQ's queue_coarse_metrics. */
const QUEUE_COARSE: ReadonlyArray<ObjectMetric<QueueView>> = [
  gaugeOf('queue_messages_ready', 'Messages ready to be delivered to consumers', (q) => q.messageCount),
  gaugeOf('queue_messages_unacked', 'Messages delivered to consumers but not yet acknowledged', (q) => q.unackedCount),
  gaugeOf('queue_messages', 'Sum of ready and unacknowledged messages - total queue depth', (q) => q.messageCount + q.unackedCount),
];

/** RabbitMQ's queue_consumer_count. */
const QUEUE_CONSUMER_COUNT: ReadonlyArray<ObjectMetric<QueueView>> = [
  gaugeOf('queue_consumers', 'Consumers on a queue', (q) => q.consumerCount),
];

/** RabbitMQ's queue_metrics, the figures Leveret keeps. */
const QUEUE_DETAIL: ReadonlyArray<ObjectMetric<QueueView>> = [
  gaugeOf('queue_messages_ready_bytes', 'Size in bytes of ready messages', (q) => q.readyBytes),
  gaugeOf('queue_messages_unacked_bytes', 'Size in bytes of all unacknowledged messages', (q) => q.unackedBytes),
  gaugeOf('queue_messages_bytes', 'Size in bytes of ready and unacknowledged messages', (q) => plus(q.readyBytes, q.unackedBytes)),
  gaugeOf('queue_messages_ready_ram', 'Ready messages stored in memory', (q) => q.readyInMemory),
  gaugeOf('queue_messages_unacked_ram', 'Unacknowledged messages stored in memory', (q) => (q.readyInMemory === undefined ? undefined : q.unackedCount)),
  gaugeOf('queue_messages_ram', 'Ready and unacknowledged messages stored in memory', (q) => plus(q.readyInMemory, q.unackedCount)),
  gaugeOf('queue_messages_persistent', 'Persistent messages', (q) => q.persistentCount),
  gaugeOf('queue_messages_persistent_bytes', 'Size in bytes of persistent messages', (q) => q.persistentBytes),
  gaugeOf('queue_messages_paged_out', 'Messages paged out to disk', (q) => q.pagedOut),
  gaugeOf('queue_messages_paged_out_bytes', 'Size in bytes of messages paged out to disk', (q) => q.tailBytes),
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

/**
 * Leveret's queue health (admin/views/health.ts), per queue only (a sum of ages means nothing), named leveret_*
 * (leveret_detailed_* in /metrics/detailed, family=leveret_queue_health). Time to empty has no sample while the
 * queue is not draining.
 */
const QUEUE_HEALTH: ReadonlyArray<ObjectMetric<QueueView>> = [
  gaugeOf('queue_oldest_ready_age_seconds', 'Age of the oldest ready message in a queue (0 when none is ready)', (q) =>
    q.health === undefined ? undefined : q.health.oldest_ready_age_ms / 1000,
  ),
  gaugeOf('queue_consumer_utilisation', 'Share of the last minute in which consumers could take a message at once', (q) => q.health?.consumer_utilisation),
  gaugeOf('queue_time_to_empty_seconds', 'Estimated seconds until the ready messages are gone at the last minute\'s net drain rate; absent when not draining', (q) =>
    q.health?.time_to_empty_s ?? undefined,
  ),
];

const EXCHANGE_METRICS: ReadonlyArray<ObjectMetric<ExchangeView>> = [
  counter('exchange_messages_published_total', 'Total number of messages published into an exchange', (x) => x.stats, 'publish_in'),
  counter('exchange_messages_routed_total', 'Total number of messages an exchange routed to queues (once per queue)', (x) => x.stats, 'publish_out'),
];

const channelStats = (c: ChannelView): MessageStats => c.stats;

/** RabbitMQ's channel_exchange_metrics: publishing counters. Aggregated, they read the broker-wide stats. */
export const CHANNEL_EXCHANGE: ReadonlyArray<readonly [string, string, Counter]> = [
  ['channel_messages_published_total', 'Total number of messages published into an exchange on a channel', 'publish'],
  ['channel_messages_confirmed_total', 'Total number of messages published into an exchange and confirmed on the channel', 'confirm'],
  ['channel_messages_unroutable_returned_total', 'Total number of messages published as mandatory into an exchange and returned to the publisher as unroutable', 'return_unroutable'],
  ['channel_messages_unroutable_dropped_total', 'Total number of messages published as non-mandatory into an exchange and dropped as unroutable', 'drop_unroutable'],
];

/** RabbitMQ's channel_queue_metrics: delivery counters. */
export const CHANNEL_QUEUE: ReadonlyArray<readonly [string, string, Counter]> = [
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

/** RabbitMQ's connection_coarse_metrics (reductions left out). */
const CONNECTION_COARSE: ReadonlyArray<ObjectMetric<ConnectionView>> = [
  { name: 'connection_incoming_bytes_total', help: 'Total number of bytes received on a connection', type: 'counter', value: (c) => c.recvOct },
  { name: 'connection_outgoing_bytes_total', help: 'Total number of bytes sent on a connection', type: 'counter', value: (c) => c.sendOct },
];

/** RabbitMQ's connection_metrics (packet counts left out: Leveret counts bytes, not socket reads). */
const CONNECTION_METRICS: ReadonlyArray<ObjectMetric<ConnectionView>> = [
  gaugeOf('connection_channels', 'Channels on a connection', (c) => c.channels),
];

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
export const GROUPS: ReadonlyArray<readonly [string, Group]> = [
  ['queue_coarse_metrics', (s, p, per) => objectFamilies(p, QUEUE_COARSE, s.queues, queueLabels, per)],
  ['queue_consumer_count', (s, p, per) => objectFamilies(p, QUEUE_CONSUMER_COUNT, s.queues, queueLabels, per)],
  ['queue_metrics', (s, p, per) => objectFamilies(p, QUEUE_DETAIL, s.queues, queueLabels, per)],
  ['queue_delivery_metrics', (s, p, per) => objectFamilies(p, QUEUE_DELIVERY, s.queues, queueLabels, per)],
  ['leveret_queue_health', (s, p, per) => (per ? objectFamilies(p.replace(PREFIX, 'leveret_'), QUEUE_HEALTH, s.queues, queueLabels, per) : [])],
  ['exchange_metrics', (s, p, per) => objectFamilies(p, EXCHANGE_METRICS, s.exchanges, exchangeLabels, per)],
  ['channel_metrics', (s, p, per) => objectFamilies(p, CHANNEL_GAUGES, s.channels, channelLabels, per)],
  ['channel_exchange_metrics', (s, p, per) => objectFamilies(p, channelCounters(CHANNEL_EXCHANGE), s.channels, channelLabels, per)],
  ['channel_queue_metrics', (s, p, per) => objectFamilies(p, channelCounters(CHANNEL_QUEUE), s.channels, channelLabels, per)],
  ['connection_coarse_metrics', (s, p, per) => objectFamilies(p, CONNECTION_COARSE, s.connections, connectionLabels, per)],
  ['connection_metrics', (s, p, per) => objectFamilies(p, CONNECTION_METRICS, s.connections, connectionLabels, per)],
];

/** Groups that only /metrics/detailed has: cluster-wide enumerations, named rabbitmq_cluster_*. */
export const CLUSTER_GROUPS: ReadonlyArray<readonly [string, (s: Snapshot) => MetricFamily]> = [
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
