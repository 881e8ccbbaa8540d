import { AmqpError } from '../../protocol/amqp-error';
import { MemoryStore } from '../../store/memory';
import { VirtualHost, type ExchangeDeclare, type QueueDeclare } from '../vhost';

/** Shared fixtures of the VirtualHost unit tests. */

export function exchangeReq(name: string, overrides: Partial<ExchangeDeclare> = {}): ExchangeDeclare {
  return { name, type: 'direct', passive: false, durable: false, autoDelete: false, internal: false, arguments: {}, ...overrides };
}

export function queueReq(name: string, overrides: Partial<QueueDeclare> = {}): QueueDeclare {
  return { name, passive: false, durable: false, exclusive: false, autoDelete: false, arguments: {}, ...overrides };
}

export function caught(fn: () => unknown): AmqpError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AmqpError);
    return err as AmqpError;
  }
  throw new Error('expected an AmqpError');
}

export function expectError(fn: () => unknown, code: number, text: string): void {
  const err = caught(fn);
  expect({ code: err.replyCode, text: err.replyText }).toEqual({ code, text });
}


export const CONN_A = { conn: 'A' };
export const CONN_B = { conn: 'B' };

export function setup(): { vhost: VirtualHost; store: MemoryStore } {
  const store = new MemoryStore();
  return { vhost: new VirtualHost('/', store), store };
}

