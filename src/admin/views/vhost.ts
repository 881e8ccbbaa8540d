import { messageStatsJson, vhostHistory, vhostTotalsOf } from '../../observability/history';
import { MessageStats } from '../../observability/stats';
import type { VhostRecord } from '../../store/store';
import type { VirtualHost } from '../../vhost/vhost';
import { lengths, NO_RANGES, type FigureOptions } from './figures';

/** A vhost's messages (ready and unacknowledged, over its queues) and its running totals. */
export function formatVhost(record: VhostRecord, vhost: VirtualHost | undefined, options: FigureOptions = NO_RANGES): Record<string, unknown> {
  const defaultQueueType = record.defaultQueueType ?? 'classic';
  let ready = 0;
  let unacked = 0;
  for (const queue of vhost?.queues.values() ?? []) {
    ready += queue.messageCount;
    unacked += queue.unackedCount;
  }
  const history = vhost === undefined ? undefined : vhostHistory(vhost);
  const totals = vhost === undefined ? undefined : vhostTotalsOf(vhost);
  const data = (name: 'recv_oct' | 'send_oct', value: number): Record<string, unknown> => ({
    [name]: value,
    [`${name}_details`]: history === undefined ? { rate: 0 } : history.details(name, options.ranges.data_rates, options.now),
  });
  return {
    name: record.name,
    description: record.description,
    tags: [...record.tags],
    default_queue_type: defaultQueueType,
    metadata: { description: record.description, tags: [...record.tags], default_queue_type: defaultQueueType },
    tracing: false,
    cluster_state: {} as Record<string, string>,
    ...lengths(ready, unacked, history, options),
    message_stats: messageStatsJson(totals?.stats ?? new MessageStats(), history, options.ranges.msg_rates, options.now, false),
    ...data('recv_oct', totals?.recvOct ?? 0),
    ...data('send_oct', totals?.sendOct ?? 0),
  };
}
