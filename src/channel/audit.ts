import { AmqpError } from '../protocol/amqp-error';
import type { FieldTable } from '../protocol/field-table';
import type {
  ExchangeBindArgs,
  ExchangeDeclareArgs,
  ExchangeDeleteArgs,
  QueueBindArgs,
  QueueDeclareArgs,
  QueueDeleteArgs,
} from '../protocol/generated/amqp';
import type { Channel } from './channel';
import type { Handler } from './dispatch';
import { REPLY_TO } from './reply-to';

/*
 * The audit log's AMQP hook: the definition methods' handlers (exchange.declare/delete/bind/unbind,
 * queue.declare/bind/unbind/delete) are wrapped so that each change, and each refused attempt, is recorded with the
 * connection's user and address. Without a sink (the broker built with the log disabled) a wrapped handler costs one
 * property read; publish, deliver and ack never pass here.
 *
 * What is recorded: a declare that creates (a redeclare of an existing entity changes nothing and is left out, as are
 * passive declares), every delete, bind and unbind; and every refusal (access refused, precondition failed, not found).
 * Exclusive queues are the connection's own (RPC reply queues and the like, created and dropped with it): their
 * declares, deletes and bindings are left out when they succeed, and recorded when refused.
 */

/** What a definition method is about to change; undefined: nothing to record (a passive declare). */
interface Change {
  readonly action: string;
  readonly type: 'exchange' | 'queue' | 'binding';
  /** '' for a server-named queue: the name it got is read after the handler ran. */
  readonly name: string;
  readonly details: Record<string, unknown>;
  /** A success changes nothing worth recording (a redeclare, an exclusive queue): only a refusal is recorded. */
  readonly refusalOnly: boolean;
}

function audited<A>(handler: Handler<A>, describe: (channel: Channel, args: A) => Change | undefined): Handler<A> {
  return (channel, args) => {
    const audit = channel.audit;
    const change = audit === undefined ? undefined : describe(channel, args);
    if (audit === undefined || change === undefined) {
      handler(channel, args);
      return;
    }
    const event = {
      user: channel.permissions.userName,
      source: 'amqp' as const,
      peer: audit.peer,
      vhost: channel.vhost.name,
      action: change.action,
      details: change.details,
    };
    try {
      handler(channel, args);
    } catch (err) {
      if (err instanceof AmqpError) {
        const name = change.name === '' ? '(server-named)' : change.name;
        audit.sink.record({ ...event, object: { type: change.type, name }, result: 'refused', reason: err.message });
      }
      throw err;
    }
    if (change.refusalOnly) return;
    const name = change.name === '' ? channel.mostRecentQueue : change.name;
    audit.sink.record({ ...event, object: { type: change.type, name }, result: 'ok' });
  };
}

/** Argument names only: values may be large, and a policy-like argument is the name that matters. */
function argumentNames(table: FieldTable): string[] {
  return Object.keys(table);
}

export function auditedExchangeDeclare(handler: Handler<ExchangeDeclareArgs>): Handler<ExchangeDeclareArgs> {
  return audited(handler, (channel, args) =>
    args.passive
      ? undefined
      : {
          action: 'exchange.declare',
          type: 'exchange',
          name: args.exchange,
          details: { type: args.type, durable: args.durable, auto_delete: args.autoDelete, internal: args.internal, arguments: argumentNames(args.arguments) },
          refusalOnly: channel.vhost.exchanges.has(args.exchange),
        },
  );
}

export function auditedExchangeDelete(handler: Handler<ExchangeDeleteArgs>): Handler<ExchangeDeleteArgs> {
  return audited(handler, (channel, args) => ({
    action: 'exchange.delete',
    type: 'exchange',
    name: args.exchange,
    details: { if_unused: args.ifUnused },
    refusalOnly: !channel.vhost.exchanges.has(args.exchange),
  }));
}

export function auditedExchangeBinding(method: 'exchange.bind' | 'exchange.unbind', handler: Handler<ExchangeBindArgs>): Handler<ExchangeBindArgs> {
  return audited(handler, (_channel, args) => ({
    action: method === 'exchange.bind' ? 'binding.create' : 'binding.delete',
    type: 'binding',
    name: `${args.source} -> ${args.destination}`,
    details: {
      method,
      source: args.source,
      destination: args.destination,
      destination_type: 'exchange',
      routing_key: args.routingKey,
      arguments: argumentNames(args.arguments),
    },
    refusalOnly: false,
  }));
}

export function auditedQueueDeclare(handler: Handler<QueueDeclareArgs>): Handler<QueueDeclareArgs> {
  return audited(handler, (channel, args) =>
    args.passive || args.queue.startsWith(REPLY_TO)
      ? undefined
      : {
          action: 'queue.declare',
          type: 'queue',
          name: args.queue,
          details: { durable: args.durable, exclusive: args.exclusive, auto_delete: args.autoDelete, arguments: argumentNames(args.arguments) },
          refusalOnly: args.exclusive || (args.queue !== '' && channel.vhost.queues.has(args.queue)),
        },
  );
}

export function auditedQueueDelete(handler: Handler<QueueDeleteArgs>): Handler<QueueDeleteArgs> {
  return audited(handler, (channel, args) => {
    const name = args.queue === '' ? channel.mostRecentQueue : args.queue;
    const queue = channel.vhost.queues.get(name);
    return {
      action: 'queue.delete',
      type: 'queue',
      name,
      details: { if_unused: args.ifUnused, if_empty: args.ifEmpty },
      refusalOnly: queue === undefined || queue.exclusiveOwner !== null,
    };
  });
}

export function auditedQueueBinding(method: 'queue.bind' | 'queue.unbind', handler: Handler<QueueBindArgs>): Handler<QueueBindArgs> {
  return audited(handler, (channel, args) => {
    const queue = args.queue === '' ? channel.mostRecentQueue : args.queue;
    const routingKey = args.queue === '' && args.routingKey === '' ? queue : args.routingKey;
    return {
      action: method === 'queue.bind' ? 'binding.create' : 'binding.delete',
      type: 'binding',
      name: `${args.exchange} -> ${queue}`,
      details: {
        method,
        source: args.exchange,
        destination: queue,
        destination_type: 'queue',
        routing_key: routingKey,
        arguments: argumentNames(args.arguments),
      },
      refusalOnly: (channel.vhost.queues.get(queue)?.exclusiveOwner ?? null) !== null,
    };
  });
}
