import { messageStatsJson, queueHistory } from '../../observability/history';
import { timestampOf } from '../../protocol/properties';
import type { Queue } from '../../queue/queue';
import type { ChannelInfo, ConnectionInfo, ConsumerInfo } from '../../connection/info';
import { boundedJson, fieldTableToJson, type Json } from '../json';
import { lengths, NO_RANGES, type FigureOptions } from './figures';
import { consumerCapacity, queueHealth } from './health';

/** A consumer as a queue's `consumer_details` lists it (RabbitMQ's rabbit_mgmt_format:consumer). */
export function formatConsumerDetail(c: ConnectionInfo, channel: ChannelInfo, consumer: ConsumerInfo, node: string): Record<string, unknown> {
  return {
    arguments: consumer.priority === 0 ? {} : { 'x-priority': consumer.priority },
    channel_details: {
      connection_name: c.name,
      name: `${c.name} (${channel.number})`,
      node,
      number: channel.number,
      peer_host: c.peerHost,
      peer_port: c.peerPort,
      user: c.user,
    },
    ack_required: consumer.ackRequired,
    active: consumer.active ?? true,
    activity_status: consumer.active === false ? 'waiting' : 'up',
    consumer_tag: consumer.tag,
    exclusive: consumer.exclusive,
    prefetch_count: consumer.prefetchCount,
    queue: { name: consumer.queue, vhost: consumer.vhost },
  };
}

/** What a queue's JSON needs beyond the queue: its consumers and policies (the single-queue view). */
export interface QueueExtras extends FigureOptions {
  /** The queue's consumers as consumer_details; absent in listings, as in RabbitMQ. */
  readonly consumers?: ReadonlyArray<Record<string, unknown>>;
  /** A policy's definition by vhost and name (effective_policy_definition). */
  readonly policyDefinition?: (component: 'policy' | 'operator_policy', vhost: string, name: string) => Record<string, unknown> | undefined;
}

/**
 * Estimated bytes per message held in memory, beyond its body: the entry, the message object and its properties.
 * `memory` is an estimate (Node does not account per object); see spec/errata.md.
 */
const MEMORY_PER_MESSAGE = 300;
const MEMORY_PER_QUEUE = 2_000;

/** Erlang-only figures, in RabbitMQ's shape with neutral values (spec/errata.md). */
const GARBAGE_COLLECTION = { fullsweep_after: 0, max_heap_size: 0, min_bin_vheap_size: 0, min_heap_size: 0, minor_gcs: 0 };

export function formatQueue(queue: Queue, node: string, extras: QueueExtras = NO_RANGES): Record<string, unknown> {
  const ready = queue.messageCount;
  const unacked = queue.unackedCount;
  const readyRam = queue.readyInMemory;
  const readyBytesRam = Math.max(0, queue.readyBytes - queue.tailBytes);
  const history = queueHistory(queue);
  const capacity = consumerCapacity(queue, history);
  const head = queue.headMessage;
  const timestamp = head === undefined ? undefined : timestampOf(head.properties);
  const active = queue.activeConsumer;
  const exclusiveTag = queue.hasExclusiveConsumer ? (extras.consumers?.find((c) => c.exclusive === true)?.consumer_tag ?? null) : null;
  const out: Record<string, unknown> = {
    ...(extras.consumers === undefined ? {} : { consumer_details: extras.consumers, deliveries: [], incoming: [] }),
    name: queue.name,
    vhost: queue.vhost,
    durable: queue.durable,
    auto_delete: queue.autoDelete,
    exclusive: queue.exclusiveOwner !== null,
    arguments: fieldTableToJson(queue.arguments),
    type: queue.settings.quorum ? 'quorum' : 'classic',
    policy: queue.policy ?? null,
    operator_policy: queue.operatorPolicy ?? null,
    effective_policy_definition: effectivePolicyDefinition(queue, extras),
    state: 'running',
    node,
    recoverable_slaves: null,
    consumers: queue.consumerCount,
    consumer_capacity: capacity,
    consumer_utilisation: capacity,
    exclusive_consumer_tag: exclusiveTag,
    single_active_consumer_tag: active?.tag ?? null,
    head_message_timestamp: timestamp ?? null,
    ...lengths(ready, unacked, history, extras),
    messages_ram: readyRam + unacked,
    messages_ready_ram: readyRam,
    messages_unacknowledged_ram: unacked,
    messages_paged_out: queue.pagedOut,
    messages_persistent: queue.persistentCount,
    message_bytes: queue.readyBytes + queue.unackedBytes,
    message_bytes_ready: queue.readyBytes,
    message_bytes_unacknowledged: queue.unackedBytes,
    message_bytes_ram: readyBytesRam + queue.unackedBytes,
    message_bytes_paged_out: queue.tailBytes,
    message_bytes_persistent: queue.persistentBytes,
    memory: MEMORY_PER_QUEUE + (readyRam + unacked) * MEMORY_PER_MESSAGE + readyBytesRam + queue.unackedBytes,
    backing_queue_status: { mode: 'default', len: ready, q1: 0, q2: 0, q3: 0, q4: readyRam, version: 1 },
    garbage_collection: { ...GARBAGE_COLLECTION },
    reductions: 0,
    reductions_details: { rate: 0 },
    message_stats: messageStatsJson(queue.stats, history, extras.ranges.msg_rates, extras.now, true),
    // Leveret's queue health (views/health.ts), under a name no RabbitMQ field has.
    leveret_health: queueHealth(queue, extras.now > 0 ? extras.now : Date.now(), history),
  };
  // RabbitMQ shows idle_since only while the queue is idle: here, nothing changed over the last sample interval.
  if (history !== undefined && history.idle) out.idle_since = rabbitTime(history.lastChange);
  return out;
}

/** RabbitMQ's timestamp format for idle_since: "2024-01-02T03:04:05.678+00:00". */
export function rabbitTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+00:00');
}

/**
 * The policy and operator policy merged as RabbitMQ shows them: the policy's keys, and the operator policy's where
 * the policy has none; for a key both set to numbers, the lower.
 */
function effectivePolicyDefinition(queue: Queue, extras: QueueExtras): Json {
  const lookup = extras.policyDefinition;
  if (lookup === undefined) return {};
  const policy = queue.policy === undefined ? undefined : lookup('policy', queue.vhost, queue.policy);
  const operator = queue.operatorPolicy === undefined ? undefined : lookup('operator_policy', queue.vhost, queue.operatorPolicy);
  const out: Record<string, unknown> = { ...(policy ?? {}) };
  for (const [key, value] of Object.entries(operator ?? {})) {
    const mine = out[key];
    if (mine === undefined) out[key] = value;
    else if (typeof mine === 'number' && typeof value === 'number') out[key] = Math.min(mine, value);
  }
  return boundedJson(out);
}
