/**
 * RabbitMQ's connection_max (rabbitmq.conf): a node at its limit takes no more AMQP connections, the ones it has
 * keep working, its management API still answers, and a connection that closes makes room for a new one.
 *
 * The broker under test must have a small connection_max and nothing else connected. In-process, this file starts
 * its own Leveret with connectionMax 3. Against an external broker (AMQP_URL) it needs CONNECTION_MAX, the limit
 * that broker was started with, and MANAGEMENT_URL; without CONNECTION_MAX it is skipped, as the shared nodes have
 * no limit. RabbitMQ 3.10 (checked with connection_max = 2 on a private node) passes connection_max to ranch as
 * max_connections: a soft limit per listener, past which its acceptors stop accepting, so a connection over the
 * limit stays in the listen backlog and is sent nothing (it is served once enough connections close); each of its
 * acceptors may take one connection past the limit first. Leveret closes one over the limit at accept. Both send a
 * connection over the limit no connection.start, which is what this file checks.
 */
import { PROTOCOL_HEADER } from '../src/protocol/frames';
import { MethodId, RawClient } from './support/raw';

interface Target {
  amqpUrl: string;
  httpUrl: string;
  limit: number;
  close(): Promise<void>;
}

const external = process.env.AMQP_URL !== undefined && process.env.AMQP_URL !== '';
const externalLimit = Number(process.env.CONNECTION_MAX ?? Number.NaN);
const runs = !external || Number.isSafeInteger(externalLimit);
/** RabbitMQ's acceptors (num_tcp_acceptors, 10) may each take one connection past the limit. */
const SOFT_MARGIN = external ? 12 : 1;

async function target(): Promise<Target> {
  if (external) {
    const httpUrl = process.env.MANAGEMENT_URL;
    if (httpUrl === undefined || httpUrl === '') throw new Error('connection-max tests against AMQP_URL need MANAGEMENT_URL');
    return { amqpUrl: process.env.AMQP_URL as string, httpUrl, limit: externalLimit, close: async () => {} };
  }
  const brokerModulePath = '../src/broker';
  const mod = (await import(brokerModulePath)) as {
    startBroker(options: unknown): Promise<{ url: string; httpUrl: string; close(): Promise<void> }>;
  };
  const broker = await mod.startBroker({
    port: 0,
    amqp: { bind: ['127.0.0.1'] },
    http: { bind: ['127.0.0.1'], port: 0 },
    connectionMax: 3,
    logLevel: 'silent',
  });
  return { amqpUrl: broker.url, httpUrl: broker.httpUrl, limit: 3, close: () => broker.close() };
}

/** Connects and sends the protocol header: 'start' when connection.start comes within `waitMs`, else 'none'. */
async function probe(url: string, waitMs: number): Promise<{ client: RawClient; answer: 'start' | 'none' }> {
  const client = await RawClient.open(url);
  client.sendProtocolHeader(PROTOCOL_HEADER);
  try {
    const m = await client.nextMethod(waitMs);
    return { client, answer: m !== 'closed' && m.id === MethodId.ConnectionStart ? 'start' : 'none' };
  } catch {
    return { client, answer: 'none' }; // nothing within waitMs: left waiting (RabbitMQ's backlog)
  }
}

async function overviewStatus(httpUrl: string): Promise<number> {
  const res = await fetch(`${httpUrl}/api/overview`, {
    headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` },
    signal: AbortSignal.timeout(5000),
  });
  await res.arrayBuffer();
  return res.status;
}

(runs ? describe : describe.skip)('connection_max (RabbitMQ)', () => {
  let t: Target;
  const clients: RawClient[] = [];

  beforeAll(async () => {
    t = await target();
  });

  afterAll(async () => {
    for (const c of clients) c.destroy();
    await t?.close();
  });

  test('at the limit a new connection gets no connection.start; the others and the HTTP API keep working; a closed one makes room', async () => {
    // The limit's worth of connections, each through the whole handshake and a channel.
    const admitted: RawClient[] = [];
    for (let i = 0; i < t.limit; i++) {
      const c = await RawClient.open(t.amqpUrl);
      clients.push(c);
      const result = await c.handshake();
      if (result instanceof Error) throw result;
      await c.openChannel(1);
      admitted.push(c);
    }

    // More: within the soft margin, one is sent nothing.
    const extras: RawClient[] = [];
    let refused = false;
    for (let i = 0; i < SOFT_MARGIN && !refused; i++) {
      const { client, answer } = await probe(t.amqpUrl, 1000);
      clients.push(client);
      extras.push(client);
      refused = answer === 'none';
    }
    expect(refused).toBe(true);

    // The admitted connections still work, and the management API answers.
    for (const c of admitted) await c.openChannel(2);
    expect(await overviewStatus(t.httpUrl)).toBe(200);

    // Room again: the extras and one admitted connection go; a new connection completes its handshake.
    for (const c of extras) c.destroy();
    await (admitted.shift() as RawClient).close();
    const deadline = Date.now() + 5000;
    let handshake: Awaited<ReturnType<RawClient['handshake']>> | undefined;
    while (Date.now() < deadline) {
      const c = await RawClient.open(t.amqpUrl);
      clients.push(c);
      try {
        handshake = await c.handshake({ timeoutMs: 1000 });
        break;
      } catch {
        c.destroy(); // not served yet (RabbitMQ's acceptors wake up once the count is under the limit)
      }
    }
    expect(handshake).toBeDefined();
    expect(handshake).not.toBeInstanceOf(Error);
    for (const c of admitted) await c.openChannel(3);
  });
});
