/**
 * Raw AMQP bytes for tests that send what a well-behaved encoder would refuse (invalid UTF-8, odd field types),
 * and read back what the broker sends byte for byte: frames, tables, a publish, the next content header's
 * properties, basic.get on a raw client.
 */
import { encodeBodyFrame, encodeHeaderFrame } from '../../src/protocol/frames';
import { ClassId, FRAME_HEADER, FRAME_METHOD } from '../../src/protocol/generated/amqp';
import { MethodId, RawClient, rawFrame } from './raw';

export const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** A short string: length octet, then the bytes (a string is taken as latin1 bytes, so ASCII as is). */
export function shortstr(value: Buffer | string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
  return Buffer.concat([Buffer.from([bytes.length]), bytes]);
}

/** A field table (length prefix included) of the given raw entries. */
export function table(...entries: Buffer[]): Buffer {
  const body = Buffer.concat(entries);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  return Buffer.concat([length, body]);
}

/** A table entry: the key as a short string, then the value (type octet included). */
export function entry(key: Buffer | string, value: Buffer): Buffer {
  return Buffer.concat([shortstr(key), value]);
}

/** A method frame with its arguments' bytes as given. */
export function methodFrame(channelId: number, classId: number, methodId: number, args: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(classId, 0);
  head.writeUInt16BE(methodId, 2);
  return rawFrame(FRAME_METHOD, channelId, Buffer.concat([head, args]));
}

/** basic.publish on channel 1 to the default exchange, with the routing key's and the properties' bytes as given. */
export function publishFrames(routingKey: Buffer | string, properties: Buffer, body: Buffer): Buffer[] {
  const args = Buffer.concat([hex('0000'), shortstr(''), shortstr(routingKey), hex('00')]);
  return [
    methodFrame(1, 60, 40, args),
    encodeHeaderFrame(1, ClassId.Basic, body.length, properties),
    encodeBodyFrame(1, body, 0, body.length),
  ];
}

/** Keeps the raw clients a test file opens and destroys them after each test. */
export function rawClients(url: () => string): () => Promise<RawClient> {
  const open: RawClient[] = [];
  afterEach(() => {
    for (const r of open.splice(0)) r.destroy();
  });
  return async () => {
    const r = await RawClient.connect(url());
    open.push(r);
    await r.openChannel(1);
    return r;
  };
}

/** The property bytes of the content header that follows basic.get-ok / basic.deliver; its body is read too. */
export async function nextProperties(r: RawClient): Promise<Buffer> {
  for (;;) {
    const f = await r.nextFrame();
    if (f === 'closed') throw new Error('socket closed before a content header');
    if (f.type !== FRAME_HEADER) continue;
    let remaining = Number(f.payload.readBigUInt64BE(4));
    while (remaining > 0) {
      const body = await r.nextFrame();
      if (body === 'closed') throw new Error('socket closed in a content body');
      remaining -= body.payload.length;
    }
    return f.payload.subarray(12);
  }
}

/** The payload of the next method frame, undecoded (names in it are compared as bytes). */
export async function nextMethodFrame(r: RawClient): Promise<Buffer> {
  for (;;) {
    const f = await r.nextFrame();
    if (f === 'closed') throw new Error('socket closed before a method frame');
    if (f.type === FRAME_METHOD) return f.payload;
  }
}

/** queue.declare on channel 1 (not durable), waiting for declare-ok. */
export async function declare(r: RawClient, queue: string, args: Record<string, unknown> = {}): Promise<void> {
  r.sendMethod(1, MethodId.QueueDeclare, { queue, passive: false, durable: false, exclusive: false, autoDelete: false, noWait: false, arguments: args });
  await r.expectMethod(MethodId.QueueDeclareOk);
}

/** basic.get on channel 1: get-ok's arguments, or 'empty'. */
export async function get(r: RawClient, queue: string, noAck = true): Promise<Record<string, unknown> | 'empty'> {
  r.sendMethod(1, MethodId.BasicGet, { queue, noAck });
  const m = await r.nextMethod();
  if (m === 'closed') throw new Error('socket closed waiting for basic.get');
  if (m.id === MethodId.BasicGetEmpty) return 'empty';
  if (m.id !== MethodId.BasicGetOk) throw new Error(`unexpected method 0x${m.id.toString(16)} ${JSON.stringify(m.args)}`);
  return m.args;
}

/** basic.get until a message comes (a quorum queue applies an enqueue a moment after the publish), at most 1 s. */
export async function getEventually(r: RawClient, queue: string, noAck = true): Promise<Record<string, unknown> | 'empty'> {
  let got: Record<string, unknown> | 'empty' = 'empty';
  for (let i = 0; i < 50 && got === 'empty'; i++) {
    got = await get(r, queue, noAck);
    if (got === 'empty') await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return got;
}
