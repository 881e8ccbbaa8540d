import {
  MethodId,
  type ExchangeBindArgs,
  type ExchangeDeclareArgs,
  type ExchangeDeleteArgs,
  type ExchangeUnbindArgs,
} from '../../protocol/generated/amqp';
import { defaultExchangeError } from '../../vhost/vhost';
import { auditedExchangeBinding, auditedExchangeDeclare, auditedExchangeDelete } from '../audit';
import type { Channel } from '../channel';
import type { Handler, HandlerTable } from '../dispatch';

const declare: Handler<ExchangeDeclareArgs> = (channel, args) => {
  if (!args.passive && args.exchange !== '') channel.permissions.check('configure', 'exchange', args.exchange);
  const writes = channel.vhost.definitionWrites;
  channel.vhost.declareExchange({
    name: args.exchange,
    type: args.type,
    passive: args.passive,
    durable: args.durable,
    autoDelete: args.autoDelete,
    internal: args.internal,
    arguments: args.arguments,
  }, (kind, resource, name) => channel.permissions.check(kind, resource, name));
  if (!args.noWait) channel.replyDefinition(MethodId.ExchangeDeclareOk, {}, writes);
};

const remove: Handler<ExchangeDeleteArgs> = (channel, args) => {
  if (args.exchange !== '') channel.permissions.check('configure', 'exchange', args.exchange);
  const writes = channel.vhost.definitionWrites;
  channel.vhost.deleteExchange(args.exchange, args.ifUnused);
  if (!args.noWait) channel.replyDefinition(MethodId.ExchangeDeleteOk, {}, writes);
};

const bind: Handler<ExchangeBindArgs> = (channel, args) => {
  checkExchangeBinding(channel, args.destination, args.source, args.routingKey);
  const writes = channel.vhost.definitionWrites;
  channel.vhost.bindExchange(args.destination, args.source, args.routingKey, args.arguments);
  if (!args.noWait) channel.replyDefinition(MethodId.ExchangeBindOk, {}, writes);
};

const unbind: Handler<ExchangeUnbindArgs> = (channel, args) => {
  checkExchangeBinding(channel, args.destination, args.source, args.routingKey);
  const writes = channel.vhost.definitionWrites;
  channel.vhost.unbindExchange(args.destination, args.source, args.routingKey, args.arguments);
  if (!args.noWait) channel.replyDefinition(MethodId.ExchangeUnbindOk, {}, writes);
};

/** Binding exchanges needs write on the destination and read on the source, as in RabbitMQ. */
function checkExchangeBinding(channel: Channel, destination: string, source: string, routingKey: string): void {
  channel.permissions.check('write', 'exchange', destination);
  if (destination === '' || source === '') throw defaultExchangeError();
  channel.permissions.check('read', 'exchange', source);
  if (channel.vhost.exchanges.get(source)?.type.name === 'topic') channel.permissions.checkTopic(source, 'read', routingKey);
}

export const exchangeHandlers: HandlerTable = [
  [MethodId.ExchangeDeclare, auditedExchangeDeclare(declare) as Handler<never>],
  [MethodId.ExchangeDelete, auditedExchangeDelete(remove) as Handler<never>],
  [MethodId.ExchangeBind, auditedExchangeBinding('exchange.bind', bind) as Handler<never>],
  [MethodId.ExchangeUnbind, auditedExchangeBinding('exchange.unbind', unbind) as Handler<never>],
];
