import type { Exchange } from '../../exchange/exchange';
import { routeMessage } from '../../exchange/router';
import type { FieldTable } from '../../protocol/field-table';
import type { Queue } from '../../queue/queue';
import type { VirtualHost } from '../vhost';

/** The names of the queues a message published to `exchange` reaches (sorted), found without enqueueing it. */
export function routeNames(vhost: VirtualHost, exchange: string, routingKey: string, headers?: FieldTable): string[] {
  const out = new Set<object>();
  const subject = { routingKey, headers: () => headers };
  routeMessage(vhost.exchangeOrDie(exchange), subject, vhost.lookupExchange, out, new Set<Exchange>(), new Set<object>());
  return [...out].map((q) => (q as Queue).name).sort();
}
