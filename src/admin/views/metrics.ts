import type { ConnectionInfo } from '../../connection/info';
import type { MessageStats } from '../../observability/stats';
import type { Queue } from '../../queue/queue';
import type { VhostRegistry } from '../../vhost/registry';
import { allChannels } from './connection';
import { queueHealth, type QueueHealth } from './health';

/*
 * What /metrics (Prometheus) reads about the broker at one moment, as plain figures.
 */

/** Queue figures another part of the broker may or may not keep: undefined when the queue has none. */
type QueueExtras = Partial<Record<'unackedBytes' | 'persistentCount' | 'persistentBytes' | 'readyInMemory' | 'pagedOut' | 'tailBytes', number>>;

/** One queue's figures as /metrics reads them. */
export interface QueueView extends QueueExtras {
  readonly vhost: string;
  readonly name: string;
  readonly messageCount: number;
  readonly unackedCount: number;
  readonly consumerCount: number;
  readonly readyBytes: number;
  readonly stats: MessageStats;
  /** Leveret's queue health (views/health.ts); absent for queues that have none. */
  readonly health?: QueueHealth;
}

function queueView(vhost: string, queue: Queue): QueueView {
  const q = queue as Queue & QueueExtras;
  const extra = (key: keyof QueueExtras): number | undefined => (typeof q[key] === 'number' ? q[key] : undefined);
  return {
    vhost,
    name: q.name,
    messageCount: q.messageCount,
    unackedCount: q.unackedCount,
    consumerCount: q.consumerCount,
    readyBytes: q.readyBytes,
    unackedBytes: extra('unackedBytes'),
    persistentCount: extra('persistentCount'),
    persistentBytes: extra('persistentBytes'),
    readyInMemory: extra('readyInMemory'),
    pagedOut: extra('pagedOut'),
    tailBytes: extra('tailBytes'),
    health: queueHealth(queue, Date.now()),
    stats: q.stats,
  };
}

export interface ExchangeView {
  readonly vhost: string;
  readonly name: string;
  readonly type: string;
  readonly bindings: number;
  readonly stats: MessageStats;
}

export interface ChannelView {
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

export interface ConnectionView {
  readonly vhost: string;
  readonly name: string;
  readonly channels: number;
  readonly recvOct: number | undefined;
  readonly sendOct: number | undefined;
}

/** Everything /metrics reads about the broker at one moment; `vhosts` keeps only those vhosts' objects. */
export interface Snapshot {
  readonly queues: QueueView[];
  readonly exchanges: ExchangeView[];
  readonly channels: ChannelView[];
  readonly connections: ConnectionView[];
  readonly vhostNames: string[];
}

export function metricsSnapshot(registry: VhostRegistry, openConnections: Iterable<ConnectionInfo>, vhosts?: ReadonlySet<string>): Snapshot {
  const keep = (name: string): boolean => vhosts === undefined || vhosts.has(name);
  const queues: QueueView[] = [];
  const exchanges: ExchangeView[] = [];
  const vhostNames: string[] = [];
  for (const { record, vhost } of registry.list()) {
    if (!keep(record.name)) continue;
    vhostNames.push(record.name);
    for (const q of vhost.queues.values()) queues.push(queueView(record.name, q));
    for (const x of vhost.exchanges.values()) {
      exchanges.push({ vhost: record.name, name: x.name, type: x.type.name, bindings: x.sourceBindings, stats: x.stats });
    }
  }
  const connections: ConnectionView[] = [];
  const open = [...openConnections];
  for (const c of open) {
    if (keep(c.vhost)) connections.push({ vhost: c.vhost, name: c.name, channels: c.channelCount, recvOct: c.recvOct, sendOct: c.sendOct });
  }
  const channels: ChannelView[] = [];
  for (const e of allChannels(open)) {
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
