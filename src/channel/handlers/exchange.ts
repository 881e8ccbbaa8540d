import {
  MethodId,
  type ExchangeBindArgs,
  type ExchangeDeclareArgs,
  type ExchangeDeleteArgs,
  type ExchangeUnbindArgs,
} from '../../protocol/generated/amqp';
import type { Handler, HandlerTable } from '../dispatch';

const declare: Handler<ExchangeDeclareArgs> = (channel, args) => {
  const writes = channel.vhost.definitionWrites;
  channel.vhost.declareExchange({
    name: args.exchange,
    type: args.type,
    passive: args.passive,
    durable: args.durable,
    autoDelete: args.autoDelete,
    internal: args.internal,
    arguments: args.arguments,
  });
  if (!args.noWait) channel.replyDefinition(MethodId.ExchangeDeclareOk, {}, writes);
};

const remove: Handler<ExchangeDeleteArgs> = (channel, args) => {
  const writes = channel.vhost.definitionWrites;
  channel.vhost.deleteExchange(args.exchange, args.ifUnused);
  if (!args.noWait) channel.replyDefinition(MethodId.ExchangeDeleteOk, {}, writes);
};

const bind: Handler<ExchangeBindArgs> = (channel, args) => {
  const writes = channel.vhost.definitionWrites;
  channel.vhost.bindExchange(args.destination, args.source, args.routingKey, args.arguments);
  if (!args.noWait) channel.replyDefinition(MethodId.ExchangeBindOk, {}, writes);
};

const unbind: Handler<ExchangeUnbindArgs> = (channel, args) => {
  const writes = channel.vhost.definitionWrites;
  channel.vhost.unbindExchange(args.destination, args.source, args.routingKey, args.arguments);
  if (!args.noWait) channel.replyDefinition(MethodId.ExchangeUnbindOk, {}, writes);
};

export const exchangeHandlers: HandlerTable = [
  [MethodId.ExchangeDeclare, declare as Handler<never>],
  [MethodId.ExchangeDelete, remove as Handler<never>],
  [MethodId.ExchangeBind, bind as Handler<never>],
  [MethodId.ExchangeUnbind, unbind as Handler<never>],
];
