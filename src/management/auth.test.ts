/**
 * Failed HTTP logins (issue 11), through the app with inject() on fake timers (Date and setTimeout):
 *
 * - each refused login (wrong password, unknown user, loopback-only user from elsewhere) logs exactly one warn line
 *   with protocol http, mechanism basic, peer, user, reason and delay, and never the password;
 * - a request without credentials is not a login attempt: 401 at once, no line;
 * - the 401 of a peer's second failure is held 100 ms, the third 200 ms; successful logins are answered at once;
 *   another peer is not held;
 * - AMQP and HTTP share the throttle: failures over one protocol hold refusals over the other.
 */
import type { FastifyInstance } from 'fastify';
import { LogLines } from '../test-support/log-lines';
import { LoginThrottle } from '../auth/login-throttle';
import { createLogger } from '../observability/logger';
import { buildFixture } from './test-support/fixture';


function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

interface Setup {
  app: FastifyInstance;
  log: LogLines;
  logins: LoginThrottle;
}

async function setup(loopbackUsers: string[] = []): Promise<Setup> {
  const log = new LogLines();
  const logins = new LoginThrottle({ now: () => Date.now() });
  const { app } = buildFixture({ loopbackUsers, logins, logger: createLogger({ level: 'info', destination: log }) });
  await app.ready();
  return { app, log, logins };
}

/** Sends a request and reports when it was answered, in fake ms after sending, advancing the clock 1 ms at a time. */
async function timed(app: FastifyInstance, authorization: string | undefined, remoteAddress = '192.0.2.10'): Promise<{ status: number; afterMs: number }> {
  const started = Date.now();
  let answered: { status: number; afterMs: number } | undefined;
  void app
    .inject({ method: 'GET', url: '/api/whoami', remoteAddress, headers: authorization === undefined ? {} : { authorization } })
    .then((res) => {
      answered = { status: res.statusCode, afterMs: Date.now() - started };
    });
  for (let i = 0; i < 5000 && answered === undefined; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    if (answered === undefined) jest.advanceTimersByTime(1);
  }
  if (answered === undefined) throw new Error('no answer within 5 s');
  return answered;
}

let current: Setup | undefined;

beforeEach(() => {
  jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
});

afterEach(async () => {
  jest.useRealTimers();
  await current?.app.close();
  current = undefined;
});

describe('a failed HTTP login', () => {
  test('logs exactly one warn line: protocol http, mechanism basic, peer, user, reason, delay; never the password', async () => {
    current = await setup();
    expect((await timed(current.app, basic('guest', 'hunter2-guess'))).status).toBe(401);
    expect((await timed(current.app, basic('nobody', 'x'), '192.0.2.11'))).toMatchObject({ status: 401 });
    expect(current.log.withMessage('login refused')).toEqual([
      expect.objectContaining({ level: 40, protocol: 'http', mechanism: 'basic', peer: '192.0.2.10', user: 'guest', reason: 'invalid credentials', delayMs: 0 }),
      expect.objectContaining({ level: 40, protocol: 'http', mechanism: 'basic', peer: '192.0.2.11', user: 'nobody', reason: 'invalid credentials', delayMs: 0 }),
    ]);
    expect(JSON.stringify(current.log.lines)).not.toContain('hunter2-guess');
  });

  test('a loopback-only user from elsewhere is one refused login too', async () => {
    current = await setup(['guest']);
    expect((await timed(current.app, basic('guest', 'guest'), '10.0.0.9')).status).toBe(401);
    expect(current.log.withMessage('login refused')).toEqual([expect.objectContaining({ user: 'guest', peer: '10.0.0.9', reason: 'user may connect only via localhost' })]);
  });

  test('a request without credentials is answered 401 at once and is not logged as a login', async () => {
    current = await setup();
    for (let i = 0; i < 3; i++) expect(await timed(current.app, undefined)).toEqual({ status: 401, afterMs: 0 });
    expect(current.log.withMessage('login refused')).toEqual([]);
  });

  test('the 401 of the second failure from a peer is held 100 ms, the third 200 ms; a success is answered at once', async () => {
    current = await setup();
    expect(await timed(current.app, basic('guest', 'wrong'))).toEqual({ status: 401, afterMs: 0 });
    expect(await timed(current.app, basic('guest', 'wrong'))).toEqual({ status: 401, afterMs: 100 });
    expect(await timed(current.app, basic('nobody', 'wrong'))).toEqual({ status: 401, afterMs: 200 });
    expect(await timed(current.app, basic('guest', 'guest'))).toEqual({ status: 200, afterMs: 0 });
    expect(await timed(current.app, basic('guest', 'wrong'), '198.51.100.1')).toEqual({ status: 401, afterMs: 0 });
    expect(current.log.withMessage('login refused').map((l) => l.delayMs)).toEqual([0, 100, 200, 0]);
  });

  test('failures over AMQP hold the next HTTP refusal from that peer (one throttle for both)', async () => {
    current = await setup();
    current.logins.failed('192.0.2.10');
    current.logins.failed('192.0.2.10');
    expect(await timed(current.app, basic('guest', 'wrong'))).toEqual({ status: 401, afterMs: 200 });
  });
});
