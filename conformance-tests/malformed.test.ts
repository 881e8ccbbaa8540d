/**
 * Malformed and out-of-order input over a raw socket: the broker answers with the right close, never crashes, and
 * keeps serving other clients.
 */
import { Reply } from './support/codes';
import { connect, channel, setupBroker } from './support/broker';
import { MethodId, RawClient, rawFrame, rawMethodFrame } from './support/raw';
import { encodeHeaderFrame, encodeBodyFrame, PROTOCOL_HEADER } from '../src/protocol/frames';
import { ClassId, encodeBasicProperties, encodeMethodFrame, FRAME_BODY, FRAME_HEARTBEAT } from '../src/protocol/generated/amqp';

const broker = setupBroker();

/** After each test: an ordinary amqplib client can still connect and work. */
afterEach(async () => {
  const conn = await connect(broker.url);
  const ch = await channel(conn);
  await ch.assertQueue('', { exclusive: true });
  await conn.close();
});

const raws: RawClient[] = [];
afterEach(() => {
  for (const r of raws.splice(0)) r.destroy();
});

async function rawOpen(): Promise<RawClient> {
  const r = await RawClient.open(broker.url);
  raws.push(r);
  return r;
}

async function rawConnected(): Promise<RawClient> {
  const r = await RawClient.connect(broker.url);
  raws.push(r);
  return r;
}

function publishFrames(channel: number, routingKey: string, body: Buffer): Buffer[] {
  return [
    encodeMethodFrame(channel, MethodId.BasicPublish, { exchange: '', routingKey, mandatory: false, immediate: false }),
    encodeHeaderFrame(channel, ClassId.Basic, body.length, encodeBasicProperties({})),
    encodeBodyFrame(channel, body, 0, body.length),
  ];
}

describe('protocol header', () => {
  test.each([
    ['AMQP 0-9-2', Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 2])],
    ['AMQP 0-10 style', Buffer.from([0x41, 0x4d, 0x51, 0x50, 1, 1, 0, 10])],
    ['an HTTP request', Buffer.from('GET / HTTP/1.1\r\n\r\n')],
  ])('an unsupported protocol header (%s) is answered with AMQP 0-9-1 and the socket is closed (spec: 4.2.2 protocol header)', async (_name, header) => {
    const r = await rawOpen();
    r.rawMode();
    r.write(header);
    await r.waitForClose();
    expect(r.received()).toEqual(PROTOCOL_HEADER);
  });

  test('a valid protocol header is answered with connection.start 0-9 offering PLAIN and AMQPLAIN (spec: connection.start)', async () => {
    const r = await rawOpen();
    r.sendProtocolHeader();
    const start = await r.expectMethod(MethodId.ConnectionStart);
    expect(start.versionMajor).toBe(0);
    expect(start.versionMinor).toBe(9);
    expect(String(start.mechanisms).split(' ')).toEqual(expect.arrayContaining(['PLAIN', 'AMQPLAIN']));
    expect(String(start.locales)).toContain('en_US');
  });

  test('a client that connects and vanishes mid-handshake leaves the broker serving others', async () => {
    const r = await rawOpen();
    r.sendProtocolHeader();
    await r.expectMethod(MethodId.ConnectionStart);
    r.destroy();
    const half = await rawOpen();
    half.write(PROTOCOL_HEADER.subarray(0, 4));
    half.destroy();
  });
});

describe('handshake', () => {
  test('connection.tune offers channel_max 2047, frame_max 131072, heartbeat 60 (RabbitMQ defaults)', async () => {
    const r = await rawOpen();
    const result = await r.handshake();
    if (result instanceof Error) throw result;
    expect(result.tune).toEqual({ channelMax: 2047, frameMax: 131072, heartbeat: 60 });
  });

  test('a wrong password from a client with authentication_failure_close gets connection.close 403 ACCESS_REFUSED (RabbitMQ capability)', async () => {
    const r = await rawOpen();
    const result = await r.handshake({
      password: 'wrong',
      clientProperties: { product: 'raw', capabilities: { authentication_failure_close: true } },
    });
    expect(result).toBeInstanceOf(Error);
    expect((result as Error & { close: unknown }).close).toEqual({
      replyCode: Reply.ACCESS_REFUSED,
      replyText: 'ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile.',
      classId: 0,
      methodId: 0,
    });
  });

  test('a wrong password from a client without authentication_failure_close gets the socket closed with no close method (RabbitMQ)', async () => {
    const r = await rawOpen();
    const result = await r.handshake({ password: 'wrong', timeoutMs: 10000 });
    expect(result).toBeInstanceOf(Error);
    expect((result as Error & { close: unknown }).close).toBe('socket-closed');
  });

  test('connection.open to an unknown vhost gets connection.close 530 NOT_ALLOWED (spec: connection.open)', async () => {
    const r = await rawOpen();
    const result = await r.handshake({ vhost: 'no-such-vhost' });
    expect(result).toBeInstanceOf(Error);
    expect((result as Error & { close: unknown }).close).toEqual({
      replyCode: Reply.NOT_ALLOWED,
      replyText: "NOT_ALLOWED - vhost no-such-vhost not found",
      classId: 10,
      methodId: 40,
    });
  });

  test('an unsupported SASL mechanism gets the socket closed with no close method (RabbitMQ: failures before open are silent)', async () => {
    const r = await rawOpen();
    r.sendProtocolHeader();
    await r.expectMethod(MethodId.ConnectionStart);
    r.sendMethod(0, MethodId.ConnectionStartOk, { clientProperties: {}, mechanism: 'NOPE', response: Buffer.alloc(0), locale: 'en_US' });
    await r.expectSilentClose(10000);
  });

  test('tune-ok with frame_max below 4096 gets the socket closed with no close method (spec: frame-min-size; RabbitMQ: silent)', async () => {
    const r = await rawOpen();
    r.sendProtocolHeader();
    await r.expectMethod(MethodId.ConnectionStart);
    r.sendMethod(0, MethodId.ConnectionStartOk, { clientProperties: {}, mechanism: 'PLAIN', response: Buffer.from('\0guest\0guest'), locale: 'en_US' });
    await r.expectMethod(MethodId.ConnectionTune);
    r.sendMethod(0, MethodId.ConnectionTuneOk, { channelMax: 0, frameMax: 1024, heartbeat: 0 });
    r.sendMethod(0, MethodId.ConnectionOpen, { virtualHost: '/', capabilities: '', insist: false });
    await r.expectSilentClose(10000);
  });

  test('with heartbeat 1 negotiated the server sends heartbeat frames on channel 0 (spec: heartbeating)', async () => {
    const r = await RawClient.open(broker.url);
    raws.push(r);
    const result = await r.handshake({ heartbeat: 1 });
    if (result instanceof Error) throw result;
    const deadline = Date.now() + 3000;
    let seen = false;
    while (!seen && Date.now() < deadline) {
      r.write(rawFrame(FRAME_HEARTBEAT, 0, Buffer.alloc(0)));
      const f = await r.nextFrame(1500);
      if (f !== 'closed' && f.type === FRAME_HEARTBEAT) {
        expect(f.channel).toBe(0);
        seen = true;
      }
    }
    expect(seen).toBe(true);
  });
});

describe('heartbeat timeout', () => {
  test('a client silent for more than two heartbeat periods is disconnected (spec: heartbeating; RabbitMQ drops the socket)', async () => {
    const r = await rawOpen();
    const result = await r.handshake({ heartbeat: 1 });
    if (result instanceof Error) throw result;
    const started = Date.now();
    // read (and ignore) the server's heartbeats, send none
    const end = await r.expectConnectionEnd(8000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    if (end !== 'socket-closed') expect(end.replyCode).toBeGreaterThanOrEqual(500);
  });
});

describe('frames', () => {
  test('a bad frame-end octet closes the connection with 501 FRAME_ERROR (spec: 4.2.3 frame-end)', async () => {
    const r = await rawConnected();
    const bad = encodeMethodFrame(1, MethodId.ChannelOpen, { outOfBand: '' });
    bad[bad.length - 1] = 0x00;
    r.write(bad);
    const close = await r.expectConnectionClose({ waitForSocket: false });
    expect(close.replyCode).toBe(Reply.FRAME_ERROR);
    expect(close.replyText).toMatch(/^FRAME_ERROR - /);
  });

  test('a frame larger than the negotiated frame_max closes the connection with 501 FRAME_ERROR (spec: connection.tune frame-max)', async () => {
    const r = await rawConnected();
    await r.openChannel(1);
    const body = Buffer.alloc(140000, 1);
    r.write([
      encodeMethodFrame(1, MethodId.BasicPublish, { exchange: '', routingKey: 'x', mandatory: false, immediate: false }),
      encodeHeaderFrame(1, ClassId.Basic, body.length, encodeBasicProperties({})),
      encodeBodyFrame(1, body, 0, body.length),
    ]);
    const close = await r.expectConnectionClose({ waitForSocket: false });
    expect(close.replyCode).toBe(Reply.FRAME_ERROR);
    expect(close.replyText).toMatch(/^FRAME_ERROR - /);
  });

  test('an unknown frame type closes the connection with 501 FRAME_ERROR (spec: 4.2.3 frame types)', async () => {
    const r = await rawConnected();
    r.write(rawFrame(7, 0, Buffer.from([1, 2, 3])));
    const close = await r.expectConnectionClose({ waitForSocket: false });
    expect(close.replyCode).toBe(Reply.FRAME_ERROR);
    expect(close.replyText).toMatch(/^FRAME_ERROR - /);
  });

  test.each([
    ['an unknown class', 99, 99],
    ['an unknown method of class basic', 60, 999],
  ])('%s id ends the connection: a hard-error close or a dropped socket (RabbitMQ 3.10 drops the socket)', async (_name, classId, methodId) => {
    const r = await rawConnected();
    await r.openChannel(1);
    r.write(rawMethodFrame(1, classId, methodId));
    const end = await r.expectConnectionEnd();
    if (end !== 'socket-closed') {
      expect([Reply.COMMAND_INVALID, Reply.NOT_IMPLEMENTED, Reply.FRAME_ERROR, Reply.SYNTAX_ERROR]).toContain(end.replyCode);
    }
  });

  test('a method frame whose arguments are truncated closes the connection with 501 FRAME_ERROR (RabbitMQ: cannot decode)', async () => {
    const r = await rawConnected();
    await r.openChannel(1);
    // queue.declare: reserved short, then a shortstr claiming 50 bytes but the frame ends
    r.write(rawMethodFrame(1, 50, 10, Buffer.from([0, 0, 50, 0x61])));
    const close = await r.expectConnectionClose({ waitForSocket: false });
    expect(close.replyCode).toBe(Reply.FRAME_ERROR);
    expect(close.replyText).toMatch(/^FRAME_ERROR - /);
    expect([close.classId, close.methodId]).toEqual([50, 10]);
  });

  test('a content body frame with no preceding method closes the connection with 505 UNEXPECTED_FRAME (spec: content ordering)', async () => {
    const r = await rawConnected();
    await r.openChannel(1);
    r.write(rawFrame(FRAME_BODY, 1, Buffer.from('orphan')));
    const close = await r.expectConnectionClose();
    expect(close).toEqual({
      replyCode: Reply.UNEXPECTED_FRAME,
      replyText: 'UNEXPECTED_FRAME - expected method frame, got non method frame instead',
      classId: 0,
      methodId: 0,
    });
  });

  test('a method frame where a content header is expected closes the connection with 505 UNEXPECTED_FRAME', async () => {
    const r = await rawConnected();
    await r.openChannel(1);
    const [publish] = publishFrames(1, 'x', Buffer.from('b'));
    r.write([publish!, encodeMethodFrame(1, MethodId.BasicQos, { prefetchSize: 0, prefetchCount: 1, global: false })]);
    const close = await r.expectConnectionClose();
    expect(close).toEqual({
      replyCode: Reply.UNEXPECTED_FRAME,
      replyText: 'UNEXPECTED_FRAME - expected content header for class 60, got non content header frame instead',
      classId: 60,
      methodId: 40,
    });
  });

  test('a method frame where a content body is expected closes the connection with 505 UNEXPECTED_FRAME', async () => {
    const r = await rawConnected();
    await r.openChannel(1);
    const [publish, header] = publishFrames(1, 'x', Buffer.from('body'));
    r.write([publish!, header!, encodeMethodFrame(1, MethodId.BasicQos, { prefetchSize: 0, prefetchCount: 1, global: false })]);
    const close = await r.expectConnectionClose();
    expect(close).toEqual({
      replyCode: Reply.UNEXPECTED_FRAME,
      replyText: 'UNEXPECTED_FRAME - expected content body, got non content body frame instead',
      classId: 60,
      methodId: 40,
    });
  });

  test('a content body larger than the header announced is a hard error: 501 FRAME_ERROR or 505 UNEXPECTED_FRAME (RabbitMQ: 505 at the next method)', async () => {
    const r = await rawConnected();
    await r.openChannel(1);
    r.write(encodeMethodFrame(1, MethodId.QueueDeclare, { queue: '', passive: false, durable: false, exclusive: true, autoDelete: false, noWait: false, arguments: {} }));
    const q = String((await r.expectMethod(MethodId.QueueDeclareOk)).queue);
    const body = Buffer.from('0123456789');
    r.write([
      encodeMethodFrame(1, MethodId.BasicPublish, { exchange: '', routingKey: q, mandatory: false, immediate: false }),
      encodeHeaderFrame(1, ClassId.Basic, 4, encodeBasicProperties({})),
      encodeBodyFrame(1, body, 0, body.length),
      // RabbitMQ 3.10 notices only here: a method where it still expects body
      encodeMethodFrame(1, MethodId.ChannelFlow, { active: true }),
    ]);
    const close = await r.expectConnectionClose({ waitForSocket: false });
    expect([Reply.FRAME_ERROR, Reply.UNEXPECTED_FRAME]).toContain(close.replyCode);
  });

  test('a heartbeat frame on a non-zero channel closes the connection with 505 UNEXPECTED_FRAME (spec: heartbeat channel 0)', async () => {
    const r = await rawConnected();
    await r.openChannel(1);
    r.write(rawFrame(FRAME_HEARTBEAT, 1, Buffer.alloc(0)));
    const close = await r.expectConnectionClose({ waitForSocket: false });
    expect(close.replyCode).toBe(Reply.UNEXPECTED_FRAME);
    expect(close.replyText).toMatch(/^UNEXPECTED_FRAME - /);
  });

  test('a heartbeat frame with a payload closes the connection with 501 FRAME_ERROR (RabbitMQ: not a heartbeat, an unknown frame)', async () => {
    const r = await rawConnected();
    r.write(rawFrame(FRAME_HEARTBEAT, 0, Buffer.from('beat')));
    const close = await r.expectConnectionClose({ waitForSocket: false });
    expect(close.replyCode).toBe(Reply.FRAME_ERROR);
    expect(close.replyText).toMatch(/^FRAME_ERROR - /);
  });

  test('a content header frame on channel 0 closes the connection with 505 UNEXPECTED_FRAME', async () => {
    const r = await rawConnected();
    r.write(encodeHeaderFrame(0, ClassId.Basic, 4, encodeBasicProperties({})));
    const close = await r.expectConnectionClose({ waitForSocket: false });
    expect(close.replyCode).toBe(Reply.UNEXPECTED_FRAME);
    expect(close.replyText).toMatch(/^UNEXPECTED_FRAME - /);
  });

  test('a content header of the wrong class closes the connection with 505 UNEXPECTED_FRAME', async () => {
    const r = await rawConnected();
    await r.openChannel(1);
    r.write([
      encodeMethodFrame(1, MethodId.BasicPublish, { exchange: '', routingKey: 'x', mandatory: false, immediate: false }),
      encodeHeaderFrame(1, ClassId.Queue, 4, encodeBasicProperties({})),
    ]);
    const close = await r.expectConnectionClose();
    expect(close).toEqual({
      replyCode: Reply.UNEXPECTED_FRAME,
      replyText: 'UNEXPECTED_FRAME - expected content header for class 60, got one for class 50 instead',
      classId: 60,
      methodId: 40,
    });
  });

  test('a non-connection method on channel 0 closes the connection with 504 CHANNEL_ERROR (spec: channel 0 is the connection)', async () => {
    const r = await rawConnected();
    r.write(encodeMethodFrame(0, MethodId.QueueDeclare, { queue: '', passive: false, durable: false, exclusive: true, autoDelete: false, noWait: false, arguments: {} }));
    const close = await r.expectConnectionClose();
    expect(close).toEqual({ replyCode: Reply.CHANNEL_ERROR, replyText: 'CHANNEL_ERROR - unexpected method in connection state running', classId: 50, methodId: 10 });
  });

  test('a handshake method after the connection is open closes it with 504 CHANNEL_ERROR', async () => {
    const r = await rawConnected();
    r.sendMethod(0, MethodId.ConnectionTuneOk, { channelMax: 0, frameMax: 131072, heartbeat: 0 });
    const close = await r.expectConnectionClose();
    expect(close).toEqual({ replyCode: Reply.CHANNEL_ERROR, replyText: 'CHANNEL_ERROR - unexpected method in connection state running', classId: 10, methodId: 31 });
  });

  test('an unsolicited channel.close-ok closes the connection with 503 COMMAND_INVALID', async () => {
    const r = await rawConnected();
    await r.openChannel(1);
    r.sendMethod(1, MethodId.ChannelCloseOk, {});
    const close = await r.expectConnectionClose();
    expect(close).toEqual({ replyCode: Reply.COMMAND_INVALID, replyText: 'COMMAND_INVALID - unimplemented method', classId: 20, methodId: 41 });
  });

  test('many frames in one TCP write and one frame split across writes are both read correctly', async () => {
    const r = await rawConnected();
    await r.openChannel(1);
    const declare = encodeMethodFrame(1, MethodId.QueueDeclare, {
      queue: '',
      passive: false,
      durable: false,
      exclusive: true,
      autoDelete: false,
      noWait: false,
      arguments: {},
    });
    for (let i = 0; i < declare.length; i++) r.write(declare.subarray(i, i + 1));
    const ok = await r.expectMethod(MethodId.QueueDeclareOk);
    const q = String(ok.queue);
    const frames: Buffer[] = [];
    for (let i = 0; i < 10; i++) frames.push(...publishFrames(1, q, Buffer.from(`m${i}`)));
    r.write(Buffer.concat(frames));
    // routing is asynchronous in RabbitMQ: poll with passive declares until all ten are in
    let count = -1;
    for (let i = 0; i < 100 && count !== 10; i++) {
      r.write(encodeMethodFrame(1, MethodId.QueueDeclare, { queue: q, passive: true, durable: false, exclusive: false, autoDelete: false, noWait: false, arguments: {} }));
      count = Number((await r.expectMethod(MethodId.QueueDeclareOk)).messageCount);
      if (count !== 10) await new Promise((res) => setTimeout(res, 20));
    }
    expect(count).toBe(10);
  });
});

describe('channels', () => {
  test('channel.open on an already open channel closes the connection with 504 CHANNEL_ERROR (spec: channel.open)', async () => {
    const r = await rawConnected();
    await r.openChannel(1);
    r.sendMethod(1, MethodId.ChannelOpen, { outOfBand: '' });
    const close = await r.expectConnectionClose();
    expect(close).toEqual({ replyCode: Reply.CHANNEL_ERROR, replyText: "CHANNEL_ERROR - second 'channel.open' seen", classId: 20, methodId: 10 });
  });

  test('a method on a channel that was never opened closes the connection with 504 CHANNEL_ERROR (spec: channel.open)', async () => {
    const r = await rawConnected();
    r.write(encodeMethodFrame(3, MethodId.QueueDeclare, { queue: '', passive: false, durable: false, exclusive: true, autoDelete: false, noWait: false, arguments: {} }));
    const close = await r.expectConnectionClose();
    expect(close).toEqual({ replyCode: Reply.CHANNEL_ERROR, replyText: "CHANNEL_ERROR - expected 'channel.open'", classId: 50, methodId: 10 });
  });

  test('channel.flow active=true is answered with flow-ok (spec: channel.flow)', async () => {
    const r = await rawConnected();
    await r.openChannel(1);
    r.sendMethod(1, MethodId.ChannelFlow, { active: true });
    expect(await r.expectMethod(MethodId.ChannelFlowOk)).toEqual({ active: true });
  });

  test('after a channel error the client must answer close-ok; the channel number can then be reopened (spec: channel.close)', async () => {
    const r = await rawConnected();
    await r.openChannel(1);
    r.write(encodeMethodFrame(1, MethodId.QueueDeclare, { queue: 'conf.raw.missing.q', passive: true, durable: false, exclusive: false, autoDelete: false, noWait: false, arguments: {} }));
    const close = await r.expectChannelClose(1);
    expect(close).toEqual({ replyCode: Reply.NOT_FOUND, replyText: "NOT_FOUND - no queue 'conf.raw.missing.q' in vhost '/'", classId: 50, methodId: 10 });
    await r.openChannel(1);
  });

  test('methods other than close/close-ok on a channel awaiting close-ok are ignored (spec: channel.close)', async () => {
    const r = await rawConnected();
    await r.openChannel(1);
    r.write(encodeMethodFrame(1, MethodId.QueueDeclare, { queue: 'conf.raw.missing.q2', passive: true, durable: false, exclusive: false, autoDelete: false, noWait: false, arguments: {} }));
    const m = await r.nextMethod();
    expect(m !== 'closed' && m.id).toBe(MethodId.ChannelClose);
    // not yet answered: this declare must be dropped silently
    r.write(encodeMethodFrame(1, MethodId.QueueDeclare, { queue: '', passive: false, durable: false, exclusive: true, autoDelete: false, noWait: false, arguments: {} }));
    r.sendMethod(1, MethodId.ChannelCloseOk, {});
    await r.openChannel(1);
  });

  test('a client connection.close is answered with close-ok (spec: connection.close)', async () => {
    const r = await rawConnected();
    await r.openChannel(1);
    r.sendMethod(0, MethodId.ConnectionClose, { replyCode: 200, replyText: 'bye', classId: 0, methodId: 0 });
    expect(await r.expectMethod(MethodId.ConnectionCloseOk)).toEqual({});
  });
});

