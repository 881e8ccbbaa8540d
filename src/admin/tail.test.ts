import type { Message } from '../queue/message';
import { encodeBasicProperties } from '../protocol/generated/amqp';
import { MemoryStore } from '../store/memory';
import { VirtualHost } from '../vhost/vhost';
import { payloadView, TailSubscription, type TailSink } from './tail';

const OWNER = {};

function message(body: string, routingKey = 'q'): Message {
  return { id: 0, persistent: false, exchange: '', routingKey, properties: encodeBasicProperties({}), body: Buffer.from(body), expiration: -1, headers: undefined };
}

/** A socket stand-in: records chunks; `full` makes writes report a full buffer until drain() is called. */
class Sink implements TailSink {
  chunks: string[] = [];
  full = false;
  ended = false;
  private listener: (() => void) | undefined;
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return !this.full;
  }
  onDrain(listener: () => void): void {
    this.listener = listener;
  }
  end(): void {
    this.ended = true;
  }
  drain(): void {
    this.full = false;
    const l = this.listener;
    this.listener = undefined;
    l?.();
  }
  /** The stream as (event name, data) pairs. */
  events(): Array<[string, Record<string, unknown>]> {
    const out: Array<[string, Record<string, unknown>]> = [];
    for (const block of this.chunks.join('').split('\n\n')) {
      if (block === '' || block.startsWith(':')) continue;
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
      out.push([event, JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? 'null') as Record<string, unknown>]);
    }
    return out;
  }
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function setup(): { vhost: VirtualHost } {
  const vhost = new VirtualHost('/', new MemoryStore());
  vhost.declareQueue({ name: 'q', passive: false, durable: false, exclusive: false, autoDelete: false, arguments: {} }, OWNER);
  return { vhost };
}

describe('live tail subscriptions', () => {
  test('untapped exchanges and queues have no tapper list; a subscription adds one and closing removes it', () => {
    const { vhost } = setup();
    const x = vhost.exchangeOrDie('');
    const q = vhost.queues.get('q');
    expect(x.tappers).toBeUndefined();
    expect(q?.tappers).toBeUndefined();
    const sub = new TailSubscription(x, true, new Sink(), { maxBytes: 10 }, () => undefined);
    sub.start({ vhost: '/', exchange: '' });
    expect(x.tappers).toEqual([sub]);
    sub.close();
    // Back on the untapped path: one undefined check per publish.
    expect(x.tappers).toBeUndefined();
  });

  test('events come in publish order with routed flags; nothing is taken from the queue', async () => {
    const { vhost } = setup();
    const sink = new Sink();
    const x = vhost.exchangeOrDie('');
    const sub = new TailSubscription(x, true, sink, { maxBytes: 4096 }, () => undefined);
    sub.start({ vhost: '/', exchange: 'amq.default' });
    const publisher = vhost.publisher();
    publisher.publish(x, message('one'));
    publisher.publish(x, message('two', 'nowhere'));
    await turn();
    expect(sink.events()).toEqual([
      ['open', { vhost: '/', exchange: 'amq.default', max_bytes: 4096 }],
      ['message', expect.objectContaining({ routing_key: 'q', payload: 'one', routed: true, properties: [] })],
      ['message', expect.objectContaining({ routing_key: 'nowhere', payload: 'two', routed: false })],
    ]);
    expect(vhost.queues.get('q')?.messageCount).toBe(1);
    sub.close();
  });

  test('a full ring drops, and the dropped event stands where the gap is; a full socket is waited for', async () => {
    const { vhost } = setup();
    const q = vhost.queues.get('q');
    if (q === undefined) throw new Error('no queue');
    const sink = new Sink();
    const sub = new TailSubscription(q, false, sink, { maxBytes: 4096, capacity: 3 }, () => undefined);
    sub.start({ vhost: '/', queue: 'q' });
    const publisher = vhost.publisher();
    const x = vhost.exchangeOrDie('');
    sink.full = true; // the next write fills the socket
    for (let i = 0; i < 5; i++) publisher.publish(x, message(`m${i}`));
    await turn();
    // m0-m2 written (the socket is now full), m3-m4 dropped; while waiting for drain, m5-m7 are held, m8-m9 dropped.
    for (let i = 5; i < 10; i++) publisher.publish(x, message(`m${i}`));
    await turn();
    expect(sink.events().filter(([e]) => e === 'message')).toHaveLength(3);
    sink.drain();
    await turn();
    const stream = sink.events().map(([e, d]) => (e === 'message' ? d.payload : `${e}:${String(d.count ?? '')}`));
    expect(stream).toEqual(['open:', 'm0', 'm1', 'm2', 'dropped:2', 'm5', 'm6', 'm7', 'dropped:2']);
    expect(sub.droppedCount).toBe(4);
    expect(q.messageCount).toBe(10);
    sub.close();
  });

  test('a held slow reader costs bounded memory: bytes over the limit are dropped, one event always fits', async () => {
    const { vhost } = setup();
    const q = vhost.queues.get('q');
    if (q === undefined) throw new Error('no queue');
    const sink = new Sink();
    const sub = new TailSubscription(q, false, sink, { maxBytes: 4, heldBytes: 10 }, () => undefined);
    sub.start({ vhost: '/', queue: 'q' });
    const x = vhost.exchangeOrDie('');
    const publisher = vhost.publisher();
    publisher.publish(x, message('a'.repeat(50))); // over the limit alone: fits, as the first
    publisher.publish(x, message('b'));
    await turn();
    expect(sink.events().slice(1)).toEqual([
      ['message', expect.objectContaining({ payload: 'aaaa', payload_bytes: 50, redelivered: false })],
      ['dropped', { count: 1 }],
    ]);
    sub.close();
  });

  test('deleting the queue ends the stream with an end event and frees the subscription', () => {
    jest.useFakeTimers();
    try {
      const { vhost } = setup();
      const q = vhost.queues.get('q');
      if (q === undefined) throw new Error('no queue');
      const sink = new Sink();
      let closed = 0;
      const sub = new TailSubscription(q, false, sink, { maxBytes: 4, heartbeatMs: 500 }, () => closed++);
      sub.start({ vhost: '/', queue: 'q' });
      jest.advanceTimersByTime(600);
      expect(sink.chunks).toContain(': heartbeat\n\n');
      vhost.deleteQueue('q', false, false, OWNER);
      jest.advanceTimersByTime(300);
      expect(sink.events().at(-1)).toEqual(['end', { reason: 'queue deleted' }]);
      expect(sink.ended).toBe(true);
      expect(closed).toBe(1);
      expect(q.tappers).toBeUndefined();
    } finally {
      jest.useRealTimers();
    }
  });

  test('payloads as /get auto shows them: UTF-8 text, else base64, cut to max_bytes', () => {
    expect(payloadView(Buffer.from('hello'), 3)).toEqual({ payload: 'hel', payload_encoding: 'string', payload_bytes: 5 });
    expect(payloadView(Buffer.from([0xff, 1]), 10)).toEqual({ payload: '/wE=', payload_encoding: 'base64', payload_bytes: 2 });
    // A cut inside a UTF-8 sequence is not UTF-8 any more: base64.
    expect(payloadView(Buffer.from('é'), 1).payload_encoding).toBe('base64');
  });
});
