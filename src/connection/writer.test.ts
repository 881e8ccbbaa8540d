import { PassThrough } from 'node:stream';
import { encodeBodyFrame, encodeHeaderFrame } from '../protocol/frames';
import { ClassId, MethodId, encodeBasicProperties, encodeMethodFrame } from '../protocol/generated/amqp';
import { FrameWriter } from './writer';

/** A socket stand-in that records every buffer written (and how many writes there were). */
function sink(): { socket: PassThrough; writes: Buffer[]; bytes: () => Buffer } {
  const socket = new PassThrough();
  const writes: Buffer[] = [];
  const write = socket.write.bind(socket);
  socket.write = ((chunk: Buffer, ...rest: unknown[]) => {
    writes.push(Buffer.from(chunk));
    return (write as (c: Buffer, ...r: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof socket.write;
  socket.resume();
  return { socket, writes, bytes: () => Buffer.concat(writes) };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The frames the generic encoders produce for one delivery: what deliver() must write, byte for byte. */
function expected(channel: number, tag: number, properties: Buffer, body: Buffer, frameMax: number): Buffer {
  const parts = [
    encodeMethodFrame(channel, MethodId.BasicDeliver, {
      consumerTag: 'ctag-é',
      deliveryTag: tag,
      redelivered: true,
      exchange: 'amq.direct',
      routingKey: 'rk',
    }),
    encodeHeaderFrame(channel, ClassId.Basic, body.length, properties),
  ];
  const chunk = frameMax - 8;
  for (let from = 0; from < body.length; from += chunk) {
    parts.push(encodeBodyFrame(channel, body, from, Math.min(from + chunk, body.length)));
  }
  return Buffer.concat(parts);
}

describe('FrameWriter', () => {
  const properties = encodeBasicProperties({ contentType: 'text/plain', headers: { a: 1 }, deliveryMode: 2 });

  test.each([
    ['an empty body', 0, 131072],
    ['a small body', 16, 131072],
    ['a body past the copy limit (written as a view)', 100_000, 131072],
    ['a body split over several frames', 10_000, 4096],
    ['a large body split over several frames', 300_000, 131072],
  ])('deliver() writes the same bytes as the generic encoders: %s', async (_what, size, frameMax) => {
    const { socket, bytes } = sink();
    const writer = new FrameWriter(socket, frameMax);
    const body = Buffer.alloc(size, 7);
    for (let i = 0; i < 3; i++) writer.deliver(5, 'ctag-é', 2 ** 40 + i, true, 'amq.direct', 'rk', properties, body);
    await turn();
    const one = (i: number): Buffer => expected(5, 2 ** 40 + i, properties, body, frameMax);
    expect(bytes().equals(Buffer.concat([one(0), one(1), one(2)]))).toBe(true);
  });

  test('a turn of small deliveries and methods goes out as one socket write, in order', async () => {
    const { socket, writes, bytes } = sink();
    const writer = new FrameWriter(socket, 131072);
    const body = Buffer.from('hello');
    writer.method(1, MethodId.BasicQosOk, {});
    for (let i = 1; i <= 100; i++) writer.deliver(1, 'ctag-é', i, true, 'amq.direct', 'rk', properties, body);
    writer.content(1, properties, body);
    expect(writes).toHaveLength(0);
    await turn();
    expect(writes).toHaveLength(1);
    const deliveries = Array.from({ length: 100 }, (_, i) => expected(1, i + 1, properties, body, 131072));
    const all = Buffer.concat([
      encodeMethodFrame(1, MethodId.BasicQosOk, {}),
      ...deliveries,
      encodeHeaderFrame(1, ClassId.Basic, body.length, properties),
      encodeBodyFrame(1, body, 0, body.length),
    ]);
    expect(bytes().equals(all)).toBe(true);
  });

  test('close() sends what was written before it and nothing after', async () => {
    const { socket, bytes } = sink();
    const writer = new FrameWriter(socket, 131072);
    writer.method(0, MethodId.ConnectionCloseOk, {});
    writer.close();
    writer.method(0, MethodId.ConnectionCloseOk, {});
    await turn();
    expect(bytes().equals(encodeMethodFrame(0, MethodId.ConnectionCloseOk, {}))).toBe(true);
  });

  test('a routing key longer than a short string is refused, not truncated', () => {
    const { socket } = sink();
    const writer = new FrameWriter(socket, 131072);
    expect(() => writer.deliver(1, 'c', 1, false, '', 'k'.repeat(256), properties, Buffer.alloc(0))).toThrow(RangeError);
  });

  test('blocked is set once the socket holds more than its limit', async () => {
    const socket = new PassThrough({ highWaterMark: 16 });
    const writer = new FrameWriter(socket, 131072);
    const body = Buffer.alloc(4000);
    for (let i = 0; i < 400 && !writer.blocked; i++) writer.deliver(1, 'c', i + 1, false, '', 'q', properties, body);
    await turn();
    expect(writer.blocked).toBe(true);
  });

  test('the limit is the outputBufferMax it is given: 64 KiB blocks after about 16 such deliveries, not 260', async () => {
    const socket = new PassThrough({ highWaterMark: 16 });
    const writer = new FrameWriter(socket, 131072, 64 * 1024);
    const body = Buffer.alloc(4000);
    let sent = 0;
    while (sent < 400 && !writer.blocked) {
      writer.deliver(1, 'c', ++sent, false, '', 'q', properties, body);
      writer.flush();
    }
    expect(writer.blocked).toBe(true);
    expect(writer.limit).toBe(64 * 1024);
    expect(sent).toBeGreaterThan(15);
    expect(sent).toBeLessThan(20);
    expect(socket.writableLength).toBeGreaterThan(64 * 1024);
  });
});
