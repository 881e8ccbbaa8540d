/*
 * The default exchange has the empty name. On screen it is '(AMQP default)'; in the API it is 'amq.default' (an
 * empty path segment would not route, and 'amq.' names are reserved, so no real exchange can be called that); in
 * the UI's own links it keeps its empty segment, `#/exchanges/%2F/`, which parses back to the empty name.
 */
import { href } from './router';

export const DEFAULT_EXCHANGE_LABEL = '(AMQP default)';

export function exchangeLabel(name: string): string {
  return name === '' ? DEFAULT_EXCHANGE_LABEL : name;
}

/** The exchange's name as an API path segment. */
export function exchangeApiName(name: string): string {
  return name === '' ? 'amq.default' : name;
}

/** The exchange's detail page. */
export function exchangeHref(vhost: string, name: string): string {
  return href(['exchanges', vhost, name]);
}

/** A queue's detail page (the queues page's route). */
export function queueHref(vhost: string, name: string): string {
  return href(['queues', vhost, name]);
}
