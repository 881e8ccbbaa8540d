import type { Exchange } from '../exchange/exchange';
import type { Message } from '../queue/message';
import { senderRouting, type Publisher } from '../vhost/publish';
import type { VirtualHost } from '../vhost/vhost';

/** A message's routing at the door: the keys it routes with (undefined: its own key only) and its properties. */
export interface PublishRouting {
  readonly routingKeys: string[] | undefined;
  /** The basic properties as encoded bytes (BCC removed), re-sent as they are. */
  readonly properties: Buffer;
}

/**
 * The CC and BCC keys of a message about to be published, as basic.publish reads them; throws AmqpError 406 for a
 * CC or BCC header that is not an array (the caller answers it in its own words).
 */
export function publishRouting(routingKey: string, properties: Buffer): PublishRouting {
  return senderRouting(routingKey, properties);
}

/** A message the management API publishes: checked (permissions, properties, expiration) by its caller. */
export interface AdminPublish {
  readonly routingKey: string;
  readonly routing: PublishRouting;
  readonly body: Buffer;
  readonly persistent: boolean;
  /** The expiration property in ms (parseExpiration, already validated), or -1 when the message has none. */
  readonly expiration: number;
}

/**
 * Publishes a message to `exchange` through the vhost's publish pipeline (`publisher`, the service's own for this
 * vhost), as basic.publish does: de-duplicated or held (x-delayed-message) is not routed. A persistent message
 * that reached a durable queue is on disk before this resolves (RabbitMQ's HTTP publish waits for the confirm).
 * Whether any queue was reached is the answer.
 */
export async function publish(vhost: VirtualHost, exchange: Exchange, p: AdminPublish, publisher: Publisher): Promise<boolean> {
  const message: Message = {
    id: 0,
    persistent: p.persistent,
    exchange: exchange.name,
    routingKey: p.routingKey,
    properties: p.routing.properties,
    body: p.body,
    expiration: p.expiration,
    headers: undefined,
  };
  const routed = publisher.publish(exchange, message, p.routing.routingKeys);
  if (message.id !== 0) await vhost.store.flush();
  return routed > 0;
}
