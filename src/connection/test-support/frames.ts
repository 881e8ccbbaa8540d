/**
 * Frames the connection tests send, and the replies they expect, shared by the test files built on harness.ts.
 * Expected closes name the method they blame by its generated id (class and method derived from it).
 */
import { MethodId, ReplyCode, encodeMethodFrame } from '../../protocol/generated/amqp';
import type { Decoded } from './harness';
import { channelOpen } from './harness';

/** A channel.close or connection.close's class-id and method-id fields for method `id`. */
export function blame(id: number): { classId: number; methodId: number } {
  return { classId: id >>> 16, methodId: id & 0xffff };
}

// ---- sent --------------------------------------------------------------------------------------------

export function exchangeDeclare(channel: number, exchange: string, passive = false): Buffer {
  return encodeMethodFrame(channel, MethodId.ExchangeDeclare, {
    exchange,
    type: 'direct',
    passive,
    durable: false,
    autoDelete: false,
    internal: false,
    noWait: false,
    arguments: {},
  });
}

export function exchangeDelete(channel: number, exchange: string): Buffer {
  return encodeMethodFrame(channel, MethodId.ExchangeDelete, { exchange, ifUnused: false, noWait: false });
}

export function exchangeBind(channel: number, destination: string, source: string, routingKey = 'rk', unbind = false): Buffer {
  const id = unbind ? MethodId.ExchangeUnbind : MethodId.ExchangeBind;
  return encodeMethodFrame(channel, id, { destination, source, routingKey, noWait: false, arguments: {} });
}

export function queueDeclare(channel: number, queue: string, options: { passive?: boolean; exclusive?: boolean } = {}): Buffer {
  return encodeMethodFrame(channel, MethodId.QueueDeclare, {
    queue,
    passive: options.passive ?? false,
    durable: false,
    exclusive: options.exclusive ?? false,
    autoDelete: false,
    noWait: false,
    arguments: {},
  });
}

export function queueBind(channel: number, queue: string, exchange: string, routingKey = 'rk'): Buffer {
  return encodeMethodFrame(channel, MethodId.QueueBind, { queue, exchange, routingKey, noWait: false, arguments: {} });
}

export function queueUnbind(channel: number, queue: string, exchange: string, routingKey = 'rk'): Buffer {
  return encodeMethodFrame(channel, MethodId.QueueUnbind, { queue, exchange, routingKey, arguments: {} });
}

export function queuePurge(channel: number, queue: string): Buffer {
  return encodeMethodFrame(channel, MethodId.QueuePurge, { queue, noWait: false });
}

export function basicConsume(channel: number, queue: string): Buffer {
  return encodeMethodFrame(channel, MethodId.BasicConsume, {
    queue,
    consumerTag: 'ctag',
    noLocal: false,
    noAck: true,
    exclusive: false,
    noWait: false,
    arguments: {},
  });
}

export function channelClose(channel: number): Buffer {
  return encodeMethodFrame(channel, MethodId.ChannelClose, { replyCode: 200, replyText: 'bye', classId: 0, methodId: 0 });
}

/** close-ok for the channel the broker closed, and channel.open again. */
export function reopen(channel = 1): Buffer[] {
  return [encodeMethodFrame(channel, MethodId.ChannelCloseOk, {}), channelOpen(channel)];
}

// ---- expected ----------------------------------------------------------------------------------------

export function declareOk(queue: string, channel = 1): Decoded {
  return { channel, method: 'queue.declare-ok', args: { queue, messageCount: 0, consumerCount: 0 } };
}

/** connection.close blaming method `id`. */
export function connectionClosed(replyCode: number, replyText: string, id: number): Decoded {
  return { channel: 0, method: 'connection.close', args: { replyCode, replyText, ...blame(id) } };
}

/** channel.close blaming method `id`. */
export function channelClosed(replyCode: number, replyText: string, id: number, channel = 1): Decoded {
  return { channel, method: 'channel.close', args: { replyCode, replyText, ...blame(id) } };
}

/** The channel.close a refused permission check gives. */
export function refused(id: number, detail: string, channel = 1): Decoded {
  return channelClosed(ReplyCode.AccessRefused, `ACCESS_REFUSED - ${detail}`, id, channel);
}
