/**
 * The connection's handshake, driven over an in-memory socket pair: protocol header, start/start-ok (SASL), tune,
 * open, and the refusals at each step.
 */
import { PROTOCOL_HEADER } from '../protocol/frames';
import { MethodId, ReplyCode, encodeMethodFrame } from '../protocol/generated/amqp';
import { blame } from './test-support/frames';
import { CHANNEL_MAX, FRAME_MAX, settle } from './test-support/harness';
import { EXPECTED_TRACE_REPLIES, Harness, handshakeFrames, startOk } from './test-support/wire';

describe('Connection: handshake', () => {
  test('start -> start-ok PLAIN -> tune -> tune-ok -> open -> open-ok', async () => {
    const h = new Harness();
    h.send(PROTOCOL_HEADER);
    expect(await h.untilMethod('connection.start')).toEqual([EXPECTED_TRACE_REPLIES[0]]);
    h.send(startOk());
    expect(await h.untilMethod('connection.tune')).toEqual([EXPECTED_TRACE_REPLIES[1]]);
    h.send(encodeMethodFrame(0, MethodId.ConnectionTuneOk, { channelMax: 0, frameMax: FRAME_MAX, heartbeat: 0 }));
    await settle();
    expect(h.newFrames()).toEqual([]);
    h.send(encodeMethodFrame(0, MethodId.ConnectionOpen, { virtualHost: '/', capabilities: '', insist: false }));
    expect(await h.untilMethod('connection.open-ok')).toEqual([EXPECTED_TRACE_REPLIES[2]]);
    expect(h.connection.user?.name).toBe('guest');
    expect(h.connection.vhost).toBe(h.vhost);
    expect(h.connection.heartbeat).toBe(0);
    expect(h.connection.channelMax).toBe(CHANNEL_MAX);
    await h.finish();
  });

  test('a wrong protocol header gets AMQP 0-0-9-1 back and the stream ends', async () => {
    const h = new Harness();
    h.send(Buffer.from('AMQP\x00\x00\x09\x00'));
    await h.untilEnded();
    expect(h.bytes()).toEqual(Buffer.from('AMQP\x00\x00\x09\x01', 'latin1'));
    expect(h.clientEnded).toBe(true);
    // Nothing more is read or answered afterwards.
    h.send(startOk());
    await settle();
    expect(h.bytes().length).toBe(8);
    await h.finish();
  });

  test('an HTTP request instead of AMQP gets the protocol header back', async () => {
    const h = new Harness();
    h.send(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    await h.untilEnded();
    expect(h.bytes().toString('latin1')).toBe('AMQP\x00\x00\x09\x01');
    expect(h.clientEnded).toBe(true);
    await h.finish();
  });

  test('a wrong password closes the socket without connection.close for clients without authentication_failure_close', async () => {
    const h = new Harness();
    h.send(PROTOCOL_HEADER, startOk('\0guest\0wrong'));
    await h.untilEnded();
    expect(h.frames().map((f) => f.method)).toEqual(['connection.start']);
    expect(h.clientEnded).toBe(true);
    await h.finish();
  });

  test('a loopback-only user connecting from elsewhere is refused with 403 when the client asks to be told', async () => {
    const h = new Harness({ remoteAddress: '10.1.2.3', loopbackUsers: ['guest'] });
    h.send(PROTOCOL_HEADER, startOk('\0guest\0guest', { capabilities: { authentication_failure_close: true } }));
    await h.untilEnded();
    expect(h.frames().slice(1)).toEqual([
      {
        channel: 0,
        method: 'connection.close',
        args: {
          replyCode: ReplyCode.AccessRefused,
          replyText: 'ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile.',
          classId: 0,
          methodId: 0,
        },
      },
    ]);
    expect(h.clientEnded).toBe(true);
    await h.finish();
  });

  test('connection.open of an unknown vhost is a 530 connection.close', async () => {
    const h = new Harness();
    h.send(...handshakeFrames('/nope'));
    await h.untilMethod('connection.close');
    expect(h.frames().slice(2)).toEqual([
      {
        channel: 0,
        method: 'connection.close',
        args: { replyCode: ReplyCode.NotAllowed, replyText: 'NOT_ALLOWED - vhost /nope not found', ...blame(MethodId.ConnectionOpen) },
      },
    ]);
    await h.finish();
  });
});
