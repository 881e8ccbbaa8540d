/**
 * Issue 16, "Limits, all configurable": each limit set low on an in-process Leveret, and what a client gets when it
 * goes over it (the codes and texts README's "Limits" section lists). Leveret only: these are settings of the
 * broker, so the `extensions` project; the texts are RabbitMQ's where RabbitMQ has the limit.
 */
import * as amqp from 'amqplib';
import { startBroker, type BrokerOptions, type RunningBroker } from '../../src/broker';
import { channel, confirmChannel, connect, eventually, whenClosed } from '../support/broker';
import { MethodId, RawClient } from '../support/raw';

const GUEST = `Basic ${Buffer.from('guest:guest').toString('base64')}`;

/** One broker per describe: the limits would get in each other's way. */
function useLimitedBroker(options: BrokerOptions): () => RunningBroker {
  let broker: RunningBroker | undefined;
  beforeAll(async () => {
    broker = await startBroker({ port: 0, amqp: { bind: ['127.0.0.1'] }, http: { bind: ['127.0.0.1'], port: 0 }, logLevel: 'silent', ...options });
  });
  afterAll(async () => {
    await broker?.close();
  });
  return () => broker as RunningBroker;
}

async function api(broker: RunningBroker, method: string, path: string, body?: string): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${broker.httpUrl}/api${path}`, {
    method,
    headers: { authorization: GUEST, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body }),
  });
  const text = await res.text();
  return { status: res.status, json: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

/** The close error amqplib reports for a channel or connection closed by the server. */
async function closedWith(emitter: amqp.Channel | amqp.ChannelModel): Promise<{ code: number; message: string }> {
  const err = (await whenClosed(emitter)) as (Error & { code?: number }) | undefined;
  return { code: err?.code ?? 0, message: err?.message ?? '' };
}

describe('maxMessageSize', () => {
  const broker = useLimitedBroker({ maxMessageSize: 1000 });

  test('a body of the limit is taken; one byte more closes the channel with 406 and the configured size', async () => {
    const conn = await connect(broker().url);
    const ch = await confirmChannel(conn);
    const { queue } = await ch.assertQueue('', { exclusive: true });
    ch.sendToQueue(queue, Buffer.alloc(1000, 1));
    await ch.waitForConfirms();
    expect((await ch.checkQueue(queue)).messageCount).toBe(1);
    ch.sendToQueue(queue, Buffer.alloc(1001, 1));
    expect(await closedWith(ch)).toEqual({
      code: 406,
      message: expect.stringContaining('PRECONDITION_FAILED - message size 1001 is larger than configured max size 1000'),
    });
    await conn.close();
  });
});

describe('consumerMaxPerChannel', () => {
  const broker = useLimitedBroker({ consumerMaxPerChannel: 2 });

  test('the third consumer on a channel closes the connection with 530; another channel still has room', async () => {
    const conn = await connect(broker().url);
    const ch = await channel(conn);
    const { queue } = await ch.assertQueue('', { exclusive: true });
    await ch.consume(queue, () => undefined);
    const second = await ch.consume(queue, () => undefined);
    // A cancelled consumer frees its place.
    await ch.cancel(second.consumerTag);
    await ch.consume(queue, () => undefined);
    const other = await channel(conn);
    await other.consume(queue, () => undefined);
    await other.consume(queue, () => undefined);
    const closed = closedWith(conn);
    ch.consume(queue, () => undefined).catch(() => undefined);
    expect(await closed).toEqual({ code: 530, message: expect.stringContaining('NOT_ALLOWED - reached maximum (2) of consumers per channel') });
  });
});

describe('channelMaxPerNode', () => {
  const broker = useLimitedBroker({ channelMaxPerNode: 3 });

  test('channels across connections count; one over the limit closes its connection with 530, the others go on', async () => {
    const a = await connect(broker().url);
    const b = await connect(broker().url);
    await channel(a);
    await channel(a);
    await channel(b);
    const closed = closedWith(b);
    b.createChannel().catch(() => undefined);
    expect(await closed).toEqual({
      code: 530,
      message: expect.stringMatching(/NOT_ALLOWED - number of channels opened for node '.+' has reached the maximum allowed limit of \(3\)/),
    });
    // b's channels are gone with it: a has room again.
    const again = await channel(a);
    const { queue } = await again.assertQueue('', { exclusive: true });
    expect(queue).toMatch(/^amq\.gen-/);
    await a.close();
  });
});

describe('clusterQueueLimit and vhostMax', () => {
  const broker = useLimitedBroker({ clusterQueueLimit: 3, vhostMax: 2 });

  test('queues count across vhosts; one more is refused with 406 over AMQP and 400 over HTTP; a redeclare is not new', async () => {
    expect((await api(broker(), 'PUT', '/vhosts/second')).status).toBe(201);
    expect((await api(broker(), 'PUT', '/permissions/second/guest', '{"configure":".*","write":".*","read":".*"}')).status).toBeLessThan(300);
    expect((await api(broker(), 'PUT', '/queues/second/q1', '{}')).status).toBe(201);
    const conn = await connect(broker().url);
    const ch = await channel(conn);
    await ch.assertQueue('limit.q2');
    await ch.assertQueue('limit.q3');
    await ch.assertQueue('limit.q3');
    expect(await api(broker(), 'PUT', '/queues/%2F/limit.q4', '{}')).toEqual({
      status: 400,
      json: { error: 'bad_request', reason: "cannot declare queue 'limit.q4': queue limit in cluster (3) is reached" },
    });
    ch.assertQueue('limit.q4').catch(() => undefined);
    expect(await closedWith(ch)).toEqual({
      code: 406,
      message: expect.stringContaining("PRECONDITION_FAILED - cannot declare queue 'limit.q4': queue limit in cluster (3) is reached"),
    });
    // Deleting one makes room.
    const next = await channel(conn);
    await next.deleteQueue('limit.q2');
    await next.assertQueue('limit.q4');
    await conn.close();
  });

  test('the vhost over vhostMax is refused with 400 and RabbitMQ reason; the existing ones can still be updated', async () => {
    expect(await api(broker(), 'PUT', '/vhosts/third')).toEqual({
      status: 400,
      json: { error: 'bad_request', reason: "cannot create vhost 'third': vhost limit of 2 is reached" },
    });
    expect((await api(broker(), 'PUT', '/vhosts/second', '{"description":"still"}')).status).toBe(204);
  });
});

describe('handshakeTimeout and unauthenticatedConnectionMax', () => {
  const broker = useLimitedBroker({ handshakeTimeout: 400, unauthenticatedConnectionMax: 2 });

  test('a client that never logs in is closed after the handshake timeout', async () => {
    const client = await RawClient.open(broker().url);
    const started = Date.now();
    client.sendProtocolHeader();
    expect((await client.nextMethod(2000)) !== 'closed').toBe(true);
    await client.waitForClose(3000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(Date.now() - started).toBeLessThan(2500);
    client.destroy();
  });

  test('over the number of connections in their handshake, a new one is closed at accept; logged-in ones do not count', async () => {
    const open = await RawClient.connect(broker().url);
    const waiting = [await RawClient.open(broker().url), await RawClient.open(broker().url)];
    for (const w of waiting) w.sendProtocolHeader();
    for (const w of waiting) expect(await w.nextMethod(2000)).toMatchObject({ id: MethodId.ConnectionStart });
    const refused = await RawClient.open(broker().url);
    refused.sendProtocolHeader();
    expect(await refused.nextMethod(2000)).toBe('closed');
    for (const w of waiting) w.destroy();
    // Once those are gone there is room again, and the open connection was never in the way.
    const later = await eventually(async () => RawClient.connect(broker().url), 3000);
    expect(later.isClosed).toBe(false);
    await later.close();
    await open.close();
  });
});

describe('fieldTableMaxDepth', () => {
  const broker = useLimitedBroker({ fieldTableMaxDepth: 2 });

  test('arguments nested within the bound are taken; deeper ones close the connection with 501', async () => {
    const conn = await connect(broker().url);
    const ch = await channel(conn);
    await ch.assertQueue('', { exclusive: true, arguments: { 'x-app': { a: { b: 1 } } } });
    const closed = closedWith(conn);
    ch.assertQueue('', { exclusive: true, arguments: { 'x-app': { a: { b: { c: 1 } } } } }).catch(() => undefined);
    expect(await closed).toEqual({
      code: 501,
      message: expect.stringContaining('FRAME_ERROR - cannot decode method arguments: field table: nested deeper than 2'),
    });
  });

  test('headers nested deeper than the bound close the connection with 541 before anything is stored', async () => {
    const conn = await connect(broker().url);
    const ch = await confirmChannel(conn);
    const { queue } = await ch.assertQueue('depth.q');
    ch.sendToQueue(queue, Buffer.from('ok'), { headers: { a: [[1]] } });
    await ch.waitForConfirms();
    const closed = closedWith(conn);
    ch.sendToQueue(queue, Buffer.from('deep'), { headers: { a: [[[1]]] } });
    expect(await closed).toEqual({
      code: 541,
      message: expect.stringContaining('field table: nested deeper than 2'),
    });
    const check = await connect(broker().url);
    const reader = await channel(check);
    const got = await reader.get('depth.q', { noAck: true });
    expect(got && got.content.toString()).toBe('ok');
    expect(await reader.get('depth.q', { noAck: true })).toBe(false);
    await check.close();
  });
});

describe('http.maxBodySize and the overview', () => {
  const broker = useLimitedBroker({ http: { maxBodySize: 2048 }, maxMessageSize: 4096, consumerMaxPerChannel: 5 });

  test('a body over the limit gets 413; one under it is served', async () => {
    const big = JSON.stringify({ arguments: { 'x-pad': 'x'.repeat(3000) } });
    expect((await api(broker(), 'PUT', '/queues/%2F/body.q', big)).status).toBe(413);
    expect((await api(broker(), 'PUT', '/queues/%2F/body.q', '{"durable":false}')).status).toBe(201);
  });

  test('GET /api/overview shows the limits in force by their rabbitmq.conf names', async () => {
    const { json } = await api(broker(), 'GET', '/overview');
    expect((json as { leveret_limits: unknown }).leveret_limits).toMatchObject({
      max_message_size: 4096,
      consumer_max_per_channel: 5,
      channel_max_per_node: 'infinity',
      cluster_queue_limit: 'infinity',
      'management.http.max_body_size': 2048,
      handshake_timeout: 10000,
      channel_max: 2047,
      frame_max: 131072,
      field_table_max_depth: 64,
      output_buffer_max: 1048576,
      unauthenticated_connection_max: 1000,
    });
  });
});
