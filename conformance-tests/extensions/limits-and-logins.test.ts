/**
 * Issue 11, over TCP against an in-process Leveret whose log lines the test reads (Leveret only: the `extensions`
 * project; conformance-tests/connection-max.test.ts and logins.test.ts hold what RabbitMQ does too).
 *
 * - connectionMax N: the N+1th AMQP connection is closed at accept without a byte, the N keep working, the HTTP API
 *   answers, and once one closes a new connection is served; a flood of refusals logs one line a second with its
 *   count;
 * - failed logins, AMQP and HTTP: one warn line each, and the refusals of a peer that keeps failing are held back
 *   (100 ms, then 200 ms: measured here only as lower bounds, the exact steps are unit-tested on fake timers).
 */
import { LogLines } from '../../src/test-support/log-lines';
import { startBroker, type RunningBroker } from '../../src/broker';
import { createLogger } from '../../src/observability/logger';
import { PROTOCOL_HEADER } from '../../src/protocol/frames';
import { eventually } from '../support/broker';
import { MethodId, RawClient } from '../support/raw';


const GUEST = `Basic ${Buffer.from('guest:guest').toString('base64')}`;
const WRONG = `Basic ${Buffer.from('guest:wrong').toString('base64')}`;

async function start(log: LogLines, connectionMax: number | 'infinity'): Promise<RunningBroker> {
  return startBroker({
    port: 0,
    amqp: { bind: ['127.0.0.1'] },
    http: { bind: ['127.0.0.1'], port: 0 },
    connectionMax,
    logger: createLogger({ level: 'info', destination: log }),
  });
}

/** What a new connection gets after sending the protocol header: connection.start, or the socket closed. */
async function firstAnswer(url: string): Promise<{ client: RawClient; answer: 'start' | 'closed' }> {
  const client = await RawClient.open(url);
  client.sendProtocolHeader(PROTOCOL_HEADER);
  const m = await client.nextMethod(3000);
  return { client, answer: m !== 'closed' && m.id === MethodId.ConnectionStart ? 'start' : 'closed' };
}

describe('connectionMax (Leveret)', () => {
  const log = new LogLines();
  let broker: RunningBroker;
  const clients: RawClient[] = [];

  beforeAll(async () => {
    broker = await start(log, 3);
  });

  afterAll(async () => {
    for (const c of clients) c.destroy();
    await broker.close();
  });

  test('the 4th connection of 3 is closed at accept with no byte sent; the 3 work; HTTP answers; a freed slot is used', async () => {
    const admitted: RawClient[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await RawClient.open(broker.url);
      clients.push(c);
      const result = await c.handshake();
      if (result instanceof Error) throw result;
      await c.openChannel(1);
      admitted.push(c);
    }

    const over = await firstAnswer(broker.url);
    clients.push(over.client);
    expect(over.answer).toBe('closed');
    expect(over.client.received().length).toBe(0);
    expect(log.withMessage('AMQP connection refused: connection_max reached')).toEqual([
      expect.objectContaining({ level: 40, connectionMax: 3, refused: 1, peer: '127.0.0.1' }),
    ]);

    for (const c of admitted) await c.openChannel(2);
    const overview = await fetch(`${broker.httpUrl}/api/overview`, { headers: { authorization: GUEST } });
    expect(overview.status).toBe(200);

    await (admitted.shift() as RawClient).close();
    const next = await RawClient.open(broker.url);
    clients.push(next);
    // The slot is freed when the closed socket is gone: retry briefly rather than race it.
    let result = await next.handshake().catch((err: Error) => err);
    for (let i = 0; i < 20 && result instanceof Error; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const retry = await RawClient.open(broker.url);
      clients.push(retry);
      result = await retry.handshake().catch((err: Error) => err);
    }
    expect(result).not.toBeInstanceOf(Error);
  });

  test('a flood of refused connections logs at most one line a second, with the count', async () => {
    const before = log.withMessage('AMQP connection refused: connection_max reached').length;
    // The broker holds 3 from the test before; 40 more are refused.
    const started = Date.now();
    const probes = await Promise.all(Array.from({ length: 40 }, () => firstAnswer(broker.url)));
    for (const p of probes) clients.push(p.client);
    expect(probes.every((p) => p.answer === 'closed')).toBe(true);
    // Wait for the pending summary: at most one line per second of the flood, plus the one at its start. (A summary
    // may also count a refusal from the test before: its retry after freeing a slot.)
    await eventually(() => {
      const lines = log.withMessage('AMQP connection refused: connection_max reached').slice(before);
      return lines.reduce((sum, l) => sum + (l.refused as number), 0) >= 40;
    }, 3000, 'summaries counting the 40 refusals');
    const lines = log.withMessage('AMQP connection refused: connection_max reached').slice(before);
    const seconds = Math.ceil((Date.now() - started) / 1000);
    expect(lines.length).toBeLessThanOrEqual(seconds + 1);
  });
});

describe('failed logins (Leveret)', () => {
  const log = new LogLines();
  let broker: RunningBroker;

  beforeAll(async () => {
    broker = await start(log, 'infinity');
  });

  afterAll(async () => {
    await broker.close();
  });

  test('one warn line per failed AMQP and HTTP login, none for a success; repeated failures are held back', async () => {
    const timings: number[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await RawClient.open(broker.url);
      const started = Date.now();
      const result = await c.handshake({
        password: `wrong-${i}`,
        clientProperties: { product: 'raw', capabilities: { authentication_failure_close: true } },
      });
      timings.push(Date.now() - started);
      expect(result).toBeInstanceOf(Error);
      c.destroy();
    }
    const ok = await RawClient.open(broker.url);
    const started = Date.now();
    expect(await ok.handshake()).not.toBeInstanceOf(Error);
    const successMs = Date.now() - started;
    await ok.close();

    const httpStarted = Date.now();
    const denied = await fetch(`${broker.httpUrl}/api/overview`, { headers: { authorization: WRONG } });
    const httpMs = Date.now() - httpStarted;
    expect(denied.status).toBe(401);

    const refusals = log.withMessage('login refused');
    expect(refusals.map((l) => [l.level, l.protocol, l.mechanism, l.user, l.peer])).toEqual([
      [40, 'amqp', 'PLAIN', 'guest', '127.0.0.1'],
      [40, 'amqp', 'PLAIN', 'guest', '127.0.0.1'],
      [40, 'amqp', 'PLAIN', 'guest', '127.0.0.1'],
      [40, 'http', 'basic', 'guest', '127.0.0.1'],
    ]);
    expect(refusals.map((l) => l.delayMs)).toEqual([0, 100, 200, 400]);
    expect(JSON.stringify(log.lines)).not.toMatch(/wrong-|guest:wrong/);
    // Nothing else at warn about these connections (the old code logged a second line per failure).
    expect(log.lines.filter((l) => (l.level as number) >= 40 && l.msg !== 'login refused')).toEqual([]);

    expect(timings[1]).toBeGreaterThanOrEqual(95);
    expect(timings[2]).toBeGreaterThanOrEqual(195);
    expect(httpMs).toBeGreaterThanOrEqual(395);
    expect(successMs).toBeLessThan(95);
  });
});
