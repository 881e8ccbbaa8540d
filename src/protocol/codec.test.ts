import {
  ClassId,
  CLASSES,
  FRAME_END,
  FRAME_METHOD,
  METHODS,
  MethodId,
  ReplyCode,
  decodeBasicProperties,
  decodeMethodArgs,
  encodeBasicProperties,
  encodeMethodFrame,
  isHardError,
  isSoftError,
  methodInfo,
  methodName,
  replyCodeName,
  type BasicProperties,
  type QueueDeclareArgs,
} from './generated/amqp';
import { FrameSyntaxError, UnknownMethodError } from './errors';
import { encodeHeaderFrame } from './frames';
import { Rng, basicProperties, randomArgs, randomProperties, rawSpec, specMethods } from './test-support/random';

/** Node's errors come from another realm than jest's globals, so compare by name. */
function expectRangeError(fn: () => unknown): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect((err as Error | undefined)?.name).toBe('RangeError');
}

/** Runs fn and reports what it threw: 'none', 'syntax' (FrameSyntaxError) or the error text. */
function outcome(fn: () => unknown): string {
  try {
    fn();
    return 'none';
  } catch (e) {
    return e instanceof FrameSyntaxError ? 'syntax' : String(e);
  }
}

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const ascii = (s: string): string => Buffer.from(s, 'latin1').toString('hex');

/** Decodes a whole method frame produced by encodeMethodFrame, checking the framing on the way. */
function decodeFrame(frame: Buffer): { channel: number; id: number; args: object } {
  expect(frame[0]).toBe(FRAME_METHOD);
  const size = frame.readUInt32BE(3);
  expect(frame.length).toBe(size + 8);
  expect(frame[frame.length - 1]).toBe(FRAME_END);
  const id = frame.readUInt32BE(7);
  return { channel: frame.readUInt16BE(1), id, args: decodeMethodArgs(id, frame, 11, 7 + size) };
}

describe('golden vectors (hand-computed bytes)', () => {
  it('connection.tune', () => {
    const frame = encodeMethodFrame(0, MethodId.ConnectionTune, { channelMax: 2047, frameMax: 131072, heartbeat: 60 });
    expect(frame.toString('hex')).toBe(hex('01 0000 0000000c 000a 001e 07ff 00020000 003c ce').toString('hex'));
    expect(decodeFrame(frame)).toEqual({
      channel: 0,
      id: MethodId.ConnectionTune,
      args: { channelMax: 2047, frameMax: 131072, heartbeat: 60 },
    });
  });

  it('queue.declare with a table argument', () => {
    const args: QueueDeclareArgs = {
      ticket: 0,
      queue: 'q',
      passive: false,
      durable: true,
      exclusive: false,
      autoDelete: true,
      noWait: false,
      arguments: { 'x-max-length': 10 },
    };
    const expected = hex(
      '01 0001 0000001f 0032 000a' +
        '0000' + // ticket
        '01 71' + // queue 'q'
        '0a' + // bits: durable (2) | auto-delete (8)
        '00000012 0c' + ascii('x-max-length') + '49 0000000a' + // table
        'ce',
    );
    const frame = encodeMethodFrame(1, MethodId.QueueDeclare, args);
    expect(frame.toString('hex')).toBe(expected.toString('hex'));
    expect(decodeFrame(frame).args).toEqual(args);
    const typed: QueueDeclareArgs = decodeMethodArgs(MethodId.QueueDeclare, frame, 11, frame.length - 1);
    expect(Object.keys(typed)).toEqual(['ticket', 'queue', 'passive', 'durable', 'exclusive', 'autoDelete', 'noWait', 'arguments']);
  });

  it('basic.deliver', () => {
    const args = { consumerTag: 'ctag', deliveryTag: 1, redelivered: true, exchange: 'ex', routingKey: 'rk' };
    const expected = hex(
      '01 0001 00000018 003c 003c 04' + ascii('ctag') + '0000000000000001 01 02' + ascii('ex') + '02' + ascii('rk') + 'ce',
    );
    const frame = encodeMethodFrame(1, MethodId.BasicDeliver, args);
    expect(frame.toString('hex')).toBe(expected.toString('hex'));
    expect(decodeFrame(frame).args).toEqual(args);
  });

  it('basic.deliver with a delivery tag above 2^32', () => {
    const frame = encodeMethodFrame(1, MethodId.BasicDeliver, { deliveryTag: 2 ** 40 + 5 });
    expect(frame.subarray(12, 20).toString('hex')).toBe('0000010000000005');
    expect((decodeFrame(frame).args as { deliveryTag: number }).deliveryTag).toBe(2 ** 40 + 5);
  });

  it('connection.start with longstr fields', () => {
    const frame = encodeMethodFrame(0, MethodId.ConnectionStart, {
      versionMajor: 0,
      versionMinor: 9,
      serverProperties: { product: 'Leveret' },
      mechanisms: Buffer.from('PLAIN AMQPLAIN'),
      locales: Buffer.from('en_US'),
    });
    const props = '07' + ascii('product') + '53 00000007' + ascii('Leveret');
    const expected = hex(
      '01 0000 00000039 000a 000a 00 09 00000014' + props + '0000000e' + ascii('PLAIN AMQPLAIN') + '00000005' + ascii('en_US') + 'ce',
    );
    expect(frame.toString('hex')).toBe(expected.toString('hex'));
  });

  it('content header with properties', () => {
    const props: BasicProperties = { contentType: 'text/plain', headers: { a: 'b' }, deliveryMode: 2 };
    const propBytes = encodeBasicProperties(props);
    expect(propBytes.toString('hex')).toBe(
      hex('b000 0a' + ascii('text/plain') + '00000008 01 61 53 00000001 62' + '02').toString('hex'),
    );
    const frame = encodeHeaderFrame(1, ClassId.Basic, 5, propBytes);
    expect(frame.toString('hex')).toBe(
      hex('02 0001 00000026 003c 0000 0000000000000005').toString('hex') + propBytes.toString('hex') + 'ce',
    );
    const decoded = decodeBasicProperties(frame, 19, frame.length - 1);
    expect(decoded).toEqual(props);
    expect(Object.keys(decoded)).toHaveLength(14); // stable shape: every property present (undefined when absent)
  });

  it('empty properties are a zero flags word', () => {
    expect(encodeBasicProperties({}).toString('hex')).toBe('0000');
    expect(decodeBasicProperties(hex('0000'), 0, 2)).toEqual({});
  });

  it('all 14 basic properties in flag order', () => {
    const props: BasicProperties = {
      contentType: 'a',
      contentEncoding: 'b',
      headers: {},
      deliveryMode: 1,
      priority: 9,
      correlationId: 'c',
      replyTo: 'd',
      expiration: '60000',
      messageId: 'e',
      timestamp: 0x01020304,
      type: 'f',
      userId: 'g',
      appId: 'h',
      clusterId: 'i',
    };
    const bytes = encodeBasicProperties(props);
    const s = (x: string): string => '01' + ascii(x);
    expect(bytes.toString('hex')).toBe(
      hex(
        'fffc' + s('a') + s('b') + '00000000' + '01' + '09' + s('c') + s('d') + '05' + ascii('60000') + s('e') +
          '0000000001020304' + s('f') + s('g') + s('h') + s('i'),
      ).toString('hex'),
    );
    expect(decodeBasicProperties(bytes, 0, bytes.length)).toEqual(props);
  });

  it('skips property-flag continuation words', () => {
    const buf = hex('8001 0000 01 78');
    expect(decodeBasicProperties(buf, 0, buf.length)).toEqual({ contentType: 'x' });
  });
});

describe('encoding defaults and limits', () => {
  it('missing fields take defaults', () => {
    const frame = encodeMethodFrame(3, MethodId.QueueDeclare, {});
    expect(decodeFrame(frame)).toEqual({
      channel: 3,
      id: MethodId.QueueDeclare,
      args: { ticket: 0, queue: '', passive: false, durable: false, exclusive: false, autoDelete: false, noWait: false, arguments: {} },
    });
    const start = decodeFrame(encodeMethodFrame(0, MethodId.ConnectionStart, {})).args as { mechanisms: Buffer };
    expect(Buffer.isBuffer(start.mechanisms)).toBe(true);
    expect(start.mechanisms.length).toBe(0);
  });

  it('accepts a string for a longstr argument', () => {
    const frame = encodeMethodFrame(0, MethodId.ConnectionStartOk, { response: '\0guest\0guest' as unknown as Buffer });
    const args = decodeFrame(frame).args as { response: Buffer };
    expect(args.response.toString()).toBe('\0guest\0guest');
  });

  it('rejects a shortstr over 255 bytes', () => {
    expectRangeError(() => encodeMethodFrame(1, MethodId.QueueDeclare, { queue: 'x'.repeat(256) }));
    expectRangeError(() => encodeMethodFrame(1, MethodId.QueueDeclare, { queue: 'é'.repeat(128) }));
    expectRangeError(() => encodeBasicProperties({ messageId: 'x'.repeat(256) }));
    expect(() => encodeMethodFrame(1, MethodId.QueueDeclare, { queue: 'x'.repeat(255) })).not.toThrow();
  });

  it('truncates reply-text to 255 bytes on a character boundary', () => {
    const text = `NOT_FOUND - no queue '${'é'.repeat(200)}' in vhost '/'`;
    for (const id of [MethodId.ChannelClose, MethodId.ConnectionClose, MethodId.BasicReturn]) {
      const args = decodeFrame(encodeMethodFrame(1, id, { replyCode: 404, replyText: text })).args as { replyText: string };
      expect(Buffer.byteLength(args.replyText)).toBeLessThanOrEqual(255);
      expect(Buffer.byteLength(args.replyText)).toBeGreaterThanOrEqual(254);
      expect(text.startsWith(args.replyText)).toBe(true);
    }
  });

  it('rejects out-of-range numbers', () => {
    expectRangeError(() => encodeMethodFrame(1, MethodId.BasicQos, { prefetchCount: 70000 }));
    expectRangeError(() => encodeMethodFrame(1, MethodId.BasicAck, { deliveryTag: -1 }));
    expectRangeError(() => encodeMethodFrame(70000, MethodId.BasicAck, {}));
  });

  it('unknown method ids throw UnknownMethodError', () => {
    expect(() => encodeMethodFrame(1, 0x00ff00ff, {})).toThrow(UnknownMethodError);
    try {
      decodeMethodArgs(0x003c00ff, Buffer.alloc(0), 0, 0);
      throw new Error('no throw');
    } catch (e) {
      expect(e).toBeInstanceOf(UnknownMethodError);
      expect((e as UnknownMethodError).classId).toBe(60);
      expect((e as UnknownMethodError).methodId).toBe(255);
    }
  });
});

describe('every method: seeded random round trips', () => {
  it.each(specMethods.map((m) => [m.name, m]))('%s', (_name, m) => {
    const rng = new Rng(m.id);
    for (let i = 0; i < 40; i++) {
      const args = randomArgs(rng, m);
      const channel = rng.int(65536);
      const frame = encodeMethodFrame(channel, m.id, args);
      const back = decodeFrame(frame);
      expect(back.channel).toBe(channel);
      expect(back.id).toBe(m.id);
      expect(back.args).toEqual(args);
      expect(Object.keys(back.args)).toEqual(m.fields.map((f) => f.camel));
      // re-encoding what we decoded is byte-identical
      expect(encodeMethodFrame(channel, m.id, back.args).equals(frame)).toBe(true);
    }
  });
});

describe('every method: truncated and garbage payloads', () => {
  it.each(specMethods.filter((m) => m.fields.length > 0).map((m) => [m.name, m]))('%s: every truncation throws FrameSyntaxError', (_n, m) => {
    const rng = new Rng(m.id + 1);
    for (let i = 0; i < 5; i++) {
      const frame = encodeMethodFrame(1, m.id, randomArgs(rng, m));
      const end = frame.length - 1;
      // Bits at the tail are one octet; cutting anywhere before the args end must throw
      const outcomes = new Set<string>();
      for (let cut = 11; cut < end; cut++) {
        outcomes.add(outcome(() => decodeMethodArgs(m.id, frame, 11, cut)));
        // the same with the bytes physically removed (a short buffer), not just a smaller end
        const short = frame.subarray(0, cut);
        outcomes.add(outcome(() => decodeMethodArgs(m.id, short, 11, frame.length)));
      }
      expect([...outcomes]).toEqual(['syntax']);
    }
  });

  it('random garbage payloads throw only FrameSyntaxError', () => {
    const rng = new Rng(2024);
    for (const m of specMethods) {
      for (let i = 0; i < 300; i++) {
        const buf = Buffer.alloc(rng.int(48));
        for (let j = 0; j < buf.length; j++) buf[j] = rng.int(4) === 0 ? 0xff : rng.int(256);
        try {
          decodeMethodArgs(m.id, buf, 0, buf.length);
        } catch (e) {
          if (!(e instanceof FrameSyntaxError)) throw new Error(`${m.name}: ${String(e)} on ${buf.toString('hex')}`);
        }
      }
    }
  });

  it('random garbage property lists throw only FrameSyntaxError', () => {
    const rng = new Rng(77);
    for (let i = 0; i < 5000; i++) {
      const buf = Buffer.alloc(rng.int(40));
      for (let j = 0; j < buf.length; j++) buf[j] = rng.int(256);
      try {
        decodeBasicProperties(buf, 0, buf.length);
      } catch (e) {
        if (!(e instanceof FrameSyntaxError)) throw new Error(`${String(e)} on ${buf.toString('hex')}`);
      }
    }
  });
});

describe('basic properties: seeded random round trips', () => {
  it('encode -> decode, 500 cases', () => {
    const rng = new Rng(60);
    for (let i = 0; i < 500; i++) {
      const props = randomProperties(rng) as BasicProperties;
      const bytes = encodeBasicProperties(props);
      const back = decodeBasicProperties(bytes, 0, bytes.length);
      expect(back).toEqual(props);
      expect(encodeBasicProperties(back).equals(bytes)).toBe(true);
      const outcomes = new Set<string>();
      for (let cut = 0; cut < bytes.length; cut++) outcomes.add(outcome(() => decodeBasicProperties(bytes, 0, cut)));
      if (bytes.length > 0) expect([...outcomes]).toEqual(['syntax']);
    }
  });
});

describe('tables derived from the spec', () => {
  it('reply codes, names and hard/soft classes match the spec constants', () => {
    const replyConstants = rawSpec.constants.filter((k) => k.class !== undefined || k.name === 'reply-success');
    expect(Object.values(ReplyCode).sort()).toEqual(replyConstants.map((k) => k.value).sort());
    for (const k of replyConstants) {
      expect(replyCodeName(k.value)).toBe(k.name.toUpperCase().replace(/-/g, '_'));
      expect(isHardError(k.value)).toBe(k.class === 'hard-error');
      expect(isSoftError(k.value)).toBe(k.class === 'soft-error');
    }
    expect(replyCodeName(404)).toBe('NOT_FOUND');
    expect(isHardError(ReplyCode.FrameError)).toBe(true);
    expect(isHardError(ReplyCode.NotFound)).toBe(false);
    expect(isHardError(ReplyCode.ReplySuccess)).toBe(false);
    expect(replyCodeName(999)).toBe('UNKNOWN');
  });

  it('the ReplyCode object has the agreed keys and values', () => {
    expect(ReplyCode).toEqual({
      ReplySuccess: 200, ContentTooLarge: 311, NoRoute: 312, NoConsumers: 313, ConnectionForced: 320, InvalidPath: 402,
      AccessRefused: 403, NotFound: 404, ResourceLocked: 405, PreconditionFailed: 406, FrameError: 501, SyntaxError: 502,
      CommandInvalid: 503, ChannelError: 504, UnexpectedFrame: 505, ResourceError: 506, NotAllowed: 530,
      NotImplemented: 540, InternalError: 541,
    });
    expect(ClassId).toEqual({ Connection: 10, Channel: 20, Exchange: 40, Queue: 50, Basic: 60, Confirm: 85, Tx: 90 });
  });

  it('method info matches the spec', () => {
    expect(METHODS).toHaveLength(specMethods.length);
    for (const m of specMethods) {
      const info = methodInfo(m.id)!;
      expect(info).toMatchObject({
        id: m.id,
        classId: m.classId,
        methodId: m.methodId,
        name: m.name,
        hasContent: m.content,
        synchronous: m.synchronous,
        fields: m.fields.map((f) => f.camel),
      });
      expect(methodName(m.id)).toBe(m.name);
      for (const r of info.responses) expect(methodInfo(r)!.classId).toBe(m.classId);
    }
    expect(methodInfo(0x00ff0001)).toBeUndefined();
    expect(methodName(0x00ff0001)).toBe('unknown(255,1)');
    expect(methodInfo(MethodId.BasicGet)!.responses).toEqual([MethodId.BasicGetOk, MethodId.BasicGetEmpty]);
    expect(CLASSES.find((c) => c.id === 60)!.properties).toEqual(basicProperties.map((p) => p.camel));
  });

  it('has the agreed method ids', () => {
    expect(MethodId.ConnectionStart).toBe(0x000a000a);
    expect(MethodId.ConnectionUpdateSecretOk).toBe(0x000a0047);
    expect(MethodId.ConnectionBlocked).toBe(0x000a003c);
    expect(MethodId.ExchangeBind).toBe(0x0028001e);
    expect(MethodId.ExchangeUnbindOk).toBe(0x00280033);
    expect(MethodId.QueueDeclareOk).toBe(0x0032000b);
    expect(MethodId.BasicRecoverAsync).toBe(0x003c0064);
    expect(MethodId.BasicNack).toBe(0x003c0078);
    expect(MethodId.ConfirmSelect).toBe(0x0055000a);
    expect(MethodId.ConfirmSelectOk).toBe(0x0055000b);
    expect(MethodId.TxCommitOk).toBe(0x005a0015);
  });
});
