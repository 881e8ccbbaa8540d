/**
 * Heartbeats on the connection's clock (a hand clock here): after tune-ok negotiates an interval, a tick twice per
 * interval sends a heartbeat when nothing else went out (the first tick always does), and a client silent for two
 * intervals loses its socket. Without a negotiated heartbeat no timer runs.
 */
import { HEARTBEAT_FRAME, PROTOCOL_HEADER } from '../protocol/frames';
import { MethodId, encodeMethodFrame } from '../protocol/generated/amqp';
import { eventually } from '../test-support/eventually';
import { HandClock } from '../test-support/hand-clock';
import { CHANNEL_MAX, FRAME_MAX, TestBroker, type Client, type Decoded } from './test-support/harness';

class Broker extends TestBroker {
  constructor(readonly clock: HandClock) {
    super({ users: ['guest'], confirmChannelOpen: true, clock });
    this.access.setPermission({ user: 'guest', vhost: '/', configure: '.*', write: '.*', read: '.*' });
  }
}

const isHeartbeat = (f: Decoded): boolean => f.channel === 0 && f.method === undefined;

/** Handshake with `heartbeat` seconds in tune-ok; resolves once open-ok arrived. */
async function openWith(heartbeat: number): Promise<{ c: Client; clock: HandClock }> {
  const clock = new HandClock();
  const c = new Broker(clock).connect('guest');
  c.send(
    PROTOCOL_HEADER,
    encodeMethodFrame(0, MethodId.ConnectionStartOk, { clientProperties: {}, mechanism: 'PLAIN', response: Buffer.from('\0guest\0guest'), locale: 'en_US' }),
    encodeMethodFrame(0, MethodId.ConnectionTuneOk, { channelMax: CHANNEL_MAX, frameMax: FRAME_MAX, heartbeat }),
    encodeMethodFrame(0, MethodId.ConnectionOpen, { virtualHost: '/', capabilities: '', insist: false }),
  );
  await c.untilMethod('connection.open-ok');
  return { c, clock };
}

test('the first tick sends a heartbeat even right after open-ok; later ticks only when nothing else was written', async () => {
  const { c, clock } = await openWith(2);
  expect(c.connection.heartbeat).toBe(2);
  clock.advance(999);
  expect(c.newFrames()).toEqual([]);
  c.send(HEARTBEAT_FRAME);
  clock.advance(1);
  expect(await c.until(isHeartbeat, 'a heartbeat')).toEqual([{ channel: 0 }]);
  // Output in the next half interval stands in for a heartbeat.
  expect(await c.call(encodeMethodFrame(1, MethodId.ChannelOpen, {}))).toHaveLength(1);
  c.send(HEARTBEAT_FRAME);
  clock.advance(1000);
  await c.call();
  expect(c.newFrames()).toEqual([]);
  c.send(HEARTBEAT_FRAME);
  clock.advance(1000);
  expect(await c.until(isHeartbeat, 'a heartbeat')).toEqual([{ channel: 0 }]);
  expect(c.closed).toBe(false);
  await c.close();
});

test('a client silent for two intervals loses its socket; one that sends heartbeats keeps it', async () => {
  const { c, clock } = await openWith(2);
  for (let i = 0; i < 6; i++) {
    c.send(HEARTBEAT_FRAME);
    await c.call();
    clock.advance(1000);
  }
  expect(c.client.destroyed || c.closed).toBe(false);
  clock.advance(3000); // three silent ticks after the last heard one: still within two intervals
  await c.call();
  expect(c.closed).toBe(false);
  clock.advance(1000);
  await eventually(() => c.closed, 5000, 'the connection closed');
});

test('heartbeat 0: no timer runs once the connection is open', async () => {
  const { c, clock } = await openWith(0);
  expect(clock.pending).toBe(0);
  await c.close();
});
