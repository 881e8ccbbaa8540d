/**
 * connection class: handshake, server properties, tuning, authentication, vhost, heartbeats, close.
 */
import * as amqp from 'amqplib';
import { channel, connect, errorsOf, getOne, setupBroker, whenClosed } from './support/broker';

const broker = setupBroker();

/** amqplib's internal connection object carries the tuned values. */
interface Tuned {
  frameMax: number;
  channelMax: number;
  heartbeat: number;
  serverProperties: Record<string, unknown> & { capabilities?: Record<string, unknown> };
}
function tunedOf(conn: amqp.ChannelModel): Tuned {
  return conn.connection as unknown as Tuned;
}

function withCredentials(url: string, user: string, password: string, vhost?: string): string {
  const u = new URL(url);
  u.username = user;
  u.password = password;
  if (vhost !== undefined) u.pathname = `/${encodeURIComponent(vhost)}`;
  return u.toString();
}

function withQuery(url: string, query: Record<string, string>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
  return u.toString();
}

describe('connection', () => {
  test('connection.start carries product, version, platform and the capabilities RabbitMQ clients check (spec: connection.start server-properties)', async () => {
    const conn = await connect(broker.url);
    const props = tunedOf(conn).serverProperties;
    expect(typeof props.product).toBe('string');
    expect(typeof props.version).toBe('string');
    expect(typeof props.platform).toBe('string');
    expect(props.capabilities).toEqual(
      expect.objectContaining({
        publisher_confirms: true,
        exchange_exchange_bindings: true,
        'basic.nack': true,
        consumer_cancel_notify: true,
        'connection.blocked': true,
        consumer_priorities: true,
        authentication_failure_close: true,
        per_consumer_qos: true,
      }),
    );
  });

  test('connection.tune offers channel_max 2047 and frame_max 131072, which the client adopts (RabbitMQ defaults)', async () => {
    const conn = await connect(broker.url);
    const t = tunedOf(conn);
    expect(t.frameMax).toBe(131072);
    expect(t.channelMax).toBe(2047);
  });

  test('a client may tune frame_max lower than the server offer, down to 4096 (spec: connection.tune-ok frame-max)', async () => {
    const conn = await connect(withQuery(broker.url, { frameMax: '4096' }));
    expect(tunedOf(conn).frameMax).toBe(4096);
    // A body bigger than one frame still goes through at the small frame size.
    const ch = await channel(conn);
    const q = await ch.assertQueue('', { exclusive: true });
    const body = Buffer.alloc(20000, 7);
    ch.sendToQueue(q.queue, body);
    const got = await getOne(ch, q.queue);
    expect(got.content.equals(body)).toBe(true);
  });

  test('heartbeat: the server proposes 60 s and the lower client value wins (spec: connection.tune heartbeat)', async () => {
    const dflt = await connect(broker.url);
    expect(tunedOf(dflt).heartbeat).toBe(60);
    const low = await connect(withQuery(broker.url, { heartbeat: '5' }));
    expect(tunedOf(low).heartbeat).toBe(5);
    const off = await connect(withQuery(broker.url, { heartbeat: '0' }));
    expect(tunedOf(off).heartbeat).toBe(0);
  });

  test('heartbeat 1 s: the server keeps an idle connection alive past several heartbeat periods (spec: heartbeating)', async () => {
    const conn = await connect(withQuery(broker.url, { heartbeat: '1' }));
    const ch = await channel(conn);
    // amqplib's Heart closes the connection with "Heartbeat timeout" if the server sends nothing for 2 periods.
    await new Promise((r) => setTimeout(r, 3500));
    expect(errorsOf(conn)).toEqual([]);
    await ch.assertQueue('', { exclusive: true });
  });

  test('wrong password is refused with connection.close 403 ACCESS_REFUSED (RabbitMQ: authentication_failure_close)', async () => {
    const err = await amqp.connect(withCredentials(broker.url, 'guest', 'not-the-password')).then(
      () => {
        throw new Error('connected with a wrong password');
      },
      (e: Error) => e,
    );
    expect(err.message).toContain('403 (ACCESS-REFUSED)');
    expect(err.message).toContain(
      'ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile.',
    );
  });

  test('unknown user is refused exactly like a wrong password (no user enumeration)', async () => {
    const err = await amqp.connect(withCredentials(broker.url, 'no-such-user', 'guest')).then(
      () => {
        throw new Error('connected as an unknown user');
      },
      (e: Error) => e,
    );
    expect(err.message).toContain(
      '403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile."',
    );
  });

  test('connection.open to an unknown vhost fails the handshake (spec: connection.open virtual-host; text checked in malformed/raw tests)', async () => {
    await expect(amqp.connect(withCredentials(broker.url, 'guest', 'guest', 'no-such-vhost'))).rejects.toThrow(
      /ConnectionClose|NOT_ALLOWED|530/,
    );
  });

  test('a client-initiated connection.close completes with close-ok and closes every channel cleanly (spec: connection.close)', async () => {
    const conn = await connect(broker.url);
    const ch1 = await channel(conn);
    const ch2 = await channel(conn);
    await conn.close();
    expect(await whenClosed(conn)).toBeUndefined();
    await whenClosed(ch1);
    await whenClosed(ch2);
    expect(errorsOf(conn)).toEqual([]);
  });

  test('many connections can be open at once and each works independently', async () => {
    const conns = await Promise.all(Array.from({ length: 10 }, () => connect(broker.url)));
    const chans = await Promise.all(conns.map((c) => channel(c)));
    const qs = await Promise.all(chans.map((ch) => ch.assertQueue('', { exclusive: true })));
    expect(new Set(qs.map((q) => q.queue)).size).toBe(10);
  });
});
