import { directExchangeType } from './direct';
import type { ExchangeType } from './exchange-type';
import { fanoutExchangeType } from './fanout';
import { headersExchangeType } from './headers';
import { topicExchangeType } from './topic';

/** The built-in exchange types, by AMQP type name. */
export const exchangeTypes: ReadonlyMap<string, ExchangeType> = new Map(
  [directExchangeType, fanoutExchangeType, topicExchangeType, headersExchangeType].map((t) => [t.name, t]),
);

/** The exchange type called `name`, or undefined when unknown. */
export function exchangeType(name: string): ExchangeType | undefined {
  return exchangeTypes.get(name);
}
