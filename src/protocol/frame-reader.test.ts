import { FrameReader } from './frame-reader';
import { FrameError, FrameSyntaxError } from './errors';
import {
  FRAME_BODY,
  FRAME_HEADER,
  FRAME_HEARTBEAT,
  FRAME_METHOD,
  FRAME_MIN_SIZE,
  MethodId,
  ReplyCode,
  decodeMethodArgs,
  encodeBasicProperties,
  encodeMethodFrame,
} from './generated/amqp';
import { HEARTBEAT_FRAME, PROTOCOL_HEADER, encodeBodyFrame, encodeHeaderFrame } from './frames';
import { Rng } from './test-support/random';

interface Frame {
  type: number;
  channel: number;
  payload: string;
}

/** A trace: protocol header, then method, header, body and heartbeat frames on several channels. */
function trace(): { bytes: Buffer; frames: Frame[] } {
  const big = Buffer.alloc(3000);
  for (let i = 0; i < big.length; i++) big[i] = i & 0xff;
  const parts = [
    encodeMethodFrame(0, MethodId.ConnectionStartOk, { clientProperties: { product: 'test' }, mechanism: 'PLAIN', response: Buffer.from('\0guest\0guest'), locale: 'en_US' }),
    encodeMethodFrame(1, MethodId.ChannelOpen, {}),
    encodeMethodFrame(1, MethodId.BasicPublish, { exchange: 'amq.direct', routingKey: 'rk' }),
    encodeHeaderFrame(1, 60, big.length + 5, encodeBasicProperties({ contentType: 'application/octet-stream', deliveryMode: 2 })),
    encodeBodyFrame(1, big, 0, big.length),
    encodeBodyFrame(1, Buffer.from('hello'), 0, 5),
    HEARTBEAT_FRAME,
    encodeMethodFrame(2, MethodId.BasicAck, { deliveryTag: 7, multiple: true }),
    encodeBodyFrame(3, Buffer.alloc(0), 0, 0),
  ];
  const frames = parts.map((p) => ({ type: p[0]!, channel: p.readUInt16BE(1), payload: p.subarray(7, p.length - 1).toString('hex') }));
  return { bytes: Buffer.concat([PROTOCOL_HEADER, ...parts]), frames };
}

function drain(reader: FrameReader, out: Frame[]): void {
  while (reader.next()) out.push({ type: reader.frameType, channel: reader.channel, payload: reader.payload.toString('hex') });
}

/** Feeds bytes in the given pieces, reading the protocol header first. */
function feed(bytes: Buffer, cuts: number[], maxFrameSize = 131072): Frame[] {
  const reader = new FrameReader(maxFrameSize);
  const out: Frame[] = [];
  let header: Buffer | null = null;
  let prev = 0;
  for (const cut of [...cuts, bytes.length]) {
    reader.push(bytes.subarray(prev, cut));
    prev = cut;
    if (header === null) header = reader.readProtocolHeader();
    if (header !== null) drain(reader, out);
  }
  expect(header?.equals(PROTOCOL_HEADER)).toBe(true);
  expect(reader.bufferedBytes).toBe(0);
  return out;
}

describe('FrameReader', () => {
  const { bytes, frames } = trace();

  it('reads a whole trace pushed at once', () => {
    expect(feed(bytes, [])).toEqual(frames);
    expect(frames.map((f) => f.type)).toEqual([
      FRAME_METHOD, FRAME_METHOD, FRAME_METHOD, FRAME_HEADER, FRAME_BODY, FRAME_BODY, FRAME_HEARTBEAT, FRAME_METHOD, FRAME_BODY,
    ]);
  });

  it('gives the same frames when the trace is split in two at every offset', () => {
    for (let cut = 0; cut <= bytes.length; cut++) {
      const got = feed(bytes, [cut]);
      if (got.length !== frames.length || JSON.stringify(got) !== JSON.stringify(frames)) {
        expect({ cut, got }).toEqual({ cut, got: frames });
      }
    }
  });

  it('gives the same frames when fed byte by byte', () => {
    const cuts: number[] = [];
    for (let i = 1; i < bytes.length; i++) cuts.push(i);
    expect(feed(bytes, cuts)).toEqual(frames);
  });

  it('gives the same frames for random splits', () => {
    const rng = new Rng(5);
    for (let n = 0; n < 200; n++) {
      const cuts: number[] = [];
      for (let at = rng.int(50); at < bytes.length; at += 1 + rng.int(300)) cuts.push(at);
      expect(feed(bytes, cuts)).toEqual(frames);
    }
  });

  it('hands out views (no copy) when a frame lies within one chunk', () => {
    const reader = new FrameReader(131072);
    const frame = encodeBodyFrame(1, Buffer.from('abc'), 0, 3);
    reader.push(frame);
    expect(reader.next()).toBe(true);
    expect(reader.payload.buffer).toBe(frame.buffer);
    expect(reader.payload.toString()).toBe('abc');
    expect(reader.next()).toBe(false);
  });

  it('payloads decode as methods', () => {
    const reader = new FrameReader(FRAME_MIN_SIZE);
    reader.push(encodeMethodFrame(5, MethodId.QueueDeclare, { queue: 'q1', durable: true, arguments: { 'x-queue-type': 'classic' } }));
    expect(reader.next()).toBe(true);
    const p = reader.payload;
    const id = p.readUInt32BE(0);
    expect(id).toBe(MethodId.QueueDeclare);
    expect(decodeMethodArgs(MethodId.QueueDeclare, p, 4, p.length)).toMatchObject({ queue: 'q1', durable: true, arguments: { 'x-queue-type': 'classic' } });
  });

  it('readProtocolHeader waits for 8 bytes', () => {
    const reader = new FrameReader(4096);
    reader.push(Buffer.from('AMQP'));
    expect(reader.readProtocolHeader()).toBeNull();
    reader.push(Buffer.from([0, 0, 9]));
    expect(reader.readProtocolHeader()).toBeNull();
    reader.push(Buffer.from([1, 1]));
    expect(reader.readProtocolHeader()!.equals(PROTOCOL_HEADER)).toBe(true);
    expect(reader.bufferedBytes).toBe(1);
  });

  it('rejects an oversized frame as soon as the 7-byte header arrives, before the payload', () => {
    const reader = new FrameReader(4096);
    const header = Buffer.from([FRAME_BODY, 0, 1, 0, 0, 0x0f, 0xf9]); // payload 4089 -> frame 4097 > 4096
    reader.push(header.subarray(0, 6));
    expect(reader.next()).toBe(false);
    reader.push(header.subarray(6));
    let err: unknown;
    try {
      reader.next();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FrameError);
    expect((err as FrameError).replyCode).toBe(ReplyCode.FrameError);
  });

  it('accepts a frame of exactly maxFrameSize', () => {
    const reader = new FrameReader(4096);
    reader.push(encodeBodyFrame(1, Buffer.alloc(4088), 0, 4088));
    expect(reader.next()).toBe(true);
    expect(reader.payload.length).toBe(4088);
  });

  it('honours a maxFrameSize changed after tune-ok, and 0 as no limit', () => {
    const reader = new FrameReader(4096);
    reader.maxFrameSize = 131072;
    reader.push(encodeBodyFrame(1, Buffer.alloc(10000), 0, 10000));
    expect(reader.next()).toBe(true);
    reader.maxFrameSize = 0;
    reader.push(encodeBodyFrame(1, Buffer.alloc(200000), 0, 200000));
    expect(reader.next()).toBe(true);
    expect(reader.payload.length).toBe(200000);
  });

  it('rejects a bad frame-end octet with 501', () => {
    for (const split of [false, true]) {
      const frame = Buffer.from(encodeMethodFrame(1, MethodId.BasicQos, { prefetchCount: 10 }));
      frame[frame.length - 1] = 0x00;
      const reader = new FrameReader(4096);
      if (split) {
        reader.push(frame.subarray(0, 9));
        expect(reader.next()).toBe(false);
        reader.push(frame.subarray(9));
      } else {
        reader.push(frame);
      }
      expect(() => reader.next()).toThrow(FrameError);
    }
  });

  it('rejects an unknown frame type with 501', () => {
    const reader = new FrameReader(4096);
    reader.push(Buffer.from([4, 0, 0, 0, 0, 0, 0, 0xce]));
    try {
      reader.next();
      throw new Error('no throw');
    } catch (e) {
      expect(e).toBeInstanceOf(FrameError);
      expect((e as FrameError).replyCode).toBe(501);
    }
  });

  it('garbage input throws FrameError, never anything else', () => {
    const rng = new Rng(11);
    for (let n = 0; n < 2000; n++) {
      const reader = new FrameReader(4096);
      const buf = Buffer.alloc(rng.int(64));
      for (let i = 0; i < buf.length; i++) buf[i] = rng.int(8) === 0 ? 0xce : rng.int(16);
      reader.push(buf);
      try {
        while (reader.next()) {
          /* keep reading */
        }
      } catch (e) {
        expect(e).toBeInstanceOf(FrameError);
        expect(e).not.toBeInstanceOf(FrameSyntaxError);
      }
    }
  });

  it('keeps the chunk list bounded over a long byte-by-byte stream', () => {
    const reader = new FrameReader(131072);
    const frame = encodeBodyFrame(1, Buffer.alloc(100000, 7), 0, 100000);
    for (let i = 0; i < frame.length; i++) reader.push(frame.subarray(i, i + 1));
    expect(reader.next()).toBe(true);
    expect(reader.payload.length).toBe(100000);
    expect(reader.payload.every((b) => b === 7)).toBe(true);
    expect(reader.bufferedBytes).toBe(0);
    expect(reader.next()).toBe(false);
  });
});
