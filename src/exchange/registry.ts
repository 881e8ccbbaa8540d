import { createDelayedExchangeType } from './delayed';
import { directExchangeType } from './direct';
import type { ExchangeType } from './exchange-type';
import { fanoutExchangeType } from './fanout';
import { headersExchangeType } from './headers';
import { topicExchangeType } from './topic';

/**
 * x-delayed-message (RabbitMQ's delayed-message plugin): routes like the type its x-delayed-type names, looked up
 * among all the types here (it refuses to route like a delayed type, itself included).
 */
export const delayedMessageExchangeType: ExchangeType = createDelayedExchangeType((name) => exchangeTypes.get(name));

/** The built-in exchange types, by AMQP type name. */
export const exchangeTypes: ReadonlyMap<string, ExchangeType> = new Map(
  [directExchangeType, fanoutExchangeType, topicExchangeType, headersExchangeType, delayedMessageExchangeType].map(
    (t) => [t.name, t],
  ),
);

/** The exchange type called `name`, or undefined when unknown. */
export function exchangeType(name: string): ExchangeType | undefined {
  return exchangeTypes.get(name);
}
