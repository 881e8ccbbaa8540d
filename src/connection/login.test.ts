/**
 * Failed AMQP logins (issue 11): real Connections over in-memory socket pairs, wired to a LoginThrottle on fake
 * timers (Date and setTimeout; setImmediate stays real so the socket pairs still flow).
 *
 * - a refused login logs exactly one line, at warn, with protocol, mechanism, peer, user, reason and delay, and
 *   never the password;
 * - a first failure is refused at once; the next failures from the same peer are held 100 ms, 200 ms, ... before the
 *   refusal (connection.close for authentication_failure_close clients, else the socket closing) goes out;
 * - a successful login is answered at once, even right after failures; another peer is not held;
 * - a client that leaves while its refusal is held is released, and the held refusal then does nothing.
 */
import { LogLines } from '../test-support/log-lines';
import { AccessControl } from '../auth/access';
import { LoginThrottle } from '../auth/login-throttle';
import { DEFAULT_HASHING_ALGORITHM, hashPassword } from '../auth/passwords';
import { createLogger } from '../observability/logger';
import type { FieldTable } from '../protocol/field-table';
import { PROTOCOL_HEADER } from '../protocol/frames';
import { MethodId, ReplyCode, encodeMethodFrame } from '../protocol/generated/amqp';
import { MemoryStore } from '../store/memory';
import { Connection } from './connection';
import { duplexPair, type PairSide } from './test-support/duplex-pair';
import { TestBroker, decodeFrames, settle } from './test-support/harness';

const REFUSED_TEXT = 'ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile.';

/** Every log line the connections write, parsed. */

class Broker extends TestBroker {
  readonly log = new LogLines();
  readonly logins = new LoginThrottle({ now: () => Date.now() });

  constructor() {
    super({ users: ['guest', 'alice'], confirmChannelOpen: false });
    Object.assign(this.context, { logins: this.logins, logger: createLogger({ level: 'debug', destination: this.log }) });
  }

  /** Lines at warn or above (pino level 40+). */
  get warnings(): Array<Record<string, unknown>> {
    return this.log.lines.filter((line) => (line.level as number) >= 40);
  }
}

/** A client from `address` that sends the protocol header and one start-ok, and records what comes back. */
class Attempt {
  readonly client: PairSide;
  private readonly chunks: Buffer[] = [];
  ended = false;
  released = false;

  constructor(broker: Broker, user: string, password: string, options: { address?: string; failureClose?: boolean } = {}) {
    const { client, server } = duplexPair(options.address ?? '192.0.2.10', 40000);
    this.client = client;
    client.on('data', (chunk: Buffer) => this.chunks.push(Buffer.from(chunk)));
    client.on('end', () => {
      this.ended = true;
    });
    new Connection(server, {
      ...broker.context,
      connectionClosed: () => {
        this.released = true;
      },
    });
    const clientProperties: FieldTable =
      options.failureClose === true ? { product: 'test', capabilities: { authentication_failure_close: true } } : { product: 'test' };
    client.write(
      Buffer.concat([
        PROTOCOL_HEADER,
        encodeMethodFrame(0, MethodId.ConnectionStartOk, {
          clientProperties,
          mechanism: 'PLAIN',
          response: Buffer.from(`\0${user}\0${password}`),
          locale: 'en_US',
        }),
      ]),
    );
  }

  /** Methods received after connection.start. */
  get answers(): string[] {
    return decodeFrames(Buffer.concat(this.chunks))
      .slice(1)
      .map((f) => f.method ?? '?');
  }

  get close(): unknown {
    return decodeFrames(Buffer.concat(this.chunks)).find((f) => f.method === 'connection.close')?.args;
  }
}

beforeEach(() => {
  jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
});

afterEach(() => {
  jest.useRealTimers();
});

/** Moves the fake clock and lets the socket pairs deliver what that caused. */
async function advance(ms: number): Promise<void> {
  jest.advanceTimersByTime(ms);
  await settle();
}

describe('a failed AMQP login', () => {
  test('logs exactly one warn line: protocol, mechanism, peer, user, reason, delay; never the password', async () => {
    const broker = new Broker();
    const attempt = new Attempt(broker, 'guest', 's3cret-guess');
    await settle();
    expect(attempt.ended).toBe(true);
    expect(broker.warnings).toEqual([
      expect.objectContaining({
        msg: 'login refused',
        protocol: 'amqp',
        mechanism: 'PLAIN',
        peer: '192.0.2.10',
        user: 'guest',
        reason: 'invalid credentials',
        delayMs: 0,
      }),
    ]);
    expect(JSON.stringify(broker.log.lines)).not.toContain('s3cret-guess');
  });

  test('an unknown user and a loopback-only user from elsewhere log one line each too', async () => {
    const broker = new Broker();
    const access = new AccessControl(new MemoryStore(), new Set(['alice']));
    access.putUser({ name: 'alice', passwordHash: hashPassword('alice'), hashingAlgorithm: DEFAULT_HASHING_ALGORITHM, tags: [] });
    Object.assign(broker.context, { access });
    new Attempt(broker, 'nobody', 'x', { address: '192.0.2.20' });
    new Attempt(broker, 'alice', 'alice', { address: '192.0.2.21' });
    await settle();
    expect(broker.warnings.map((l) => [l.msg, l.user, l.peer, l.reason])).toEqual([
      ['login refused', 'nobody', '192.0.2.20', 'invalid credentials'],
      ['login refused', 'alice', '192.0.2.21', 'user may connect only via localhost'],
    ]);
  });

  test('the second failure from a peer is held 100 ms, the third 200 ms; the refusal then goes out as before', async () => {
    const broker = new Broker();
    const first = new Attempt(broker, 'guest', 'wrong', { failureClose: true });
    await settle();
    expect(first.close).toEqual({ replyCode: ReplyCode.AccessRefused, replyText: REFUSED_TEXT, classId: 0, methodId: 0 });
    expect(first.ended).toBe(true);

    const second = new Attempt(broker, 'guest', 'wrong', { failureClose: true });
    await settle();
    expect(broker.warnings.at(-1)).toMatchObject({ delayMs: 100 });
    await advance(99);
    expect([second.answers, second.ended]).toEqual([[], false]);
    await advance(1);
    expect(second.close).toEqual({ replyCode: ReplyCode.AccessRefused, replyText: REFUSED_TEXT, classId: 0, methodId: 0 });
    expect(second.ended).toBe(true);

    // Without authentication_failure_close the refusal is the socket closing, held the same way.
    const third = new Attempt(broker, 'guest', 'wrong');
    await settle();
    await advance(199);
    expect(third.ended).toBe(false);
    await advance(1);
    expect([third.answers, third.ended]).toEqual([[], true]);

    expect(broker.warnings.map((l) => l.delayMs)).toEqual([0, 100, 200]);
    expect(broker.warnings.every((l) => l.msg === 'login refused')).toBe(true);
  });

  test('a successful login right after failures is answered at once; another peer is not held', async () => {
    const broker = new Broker();
    for (let i = 0; i < 3; i++) {
      new Attempt(broker, 'guest', 'wrong');
      await advance(2_000);
    }
    const good = new Attempt(broker, 'guest', 'guest');
    await settle();
    expect(good.answers).toEqual(['connection.tune']);

    const elsewhere = new Attempt(broker, 'guest', 'wrong', { address: '198.51.100.1' });
    await settle();
    expect(elsewhere.ended).toBe(true);
    expect(broker.warnings.at(-1)).toMatchObject({ peer: '198.51.100.1', delayMs: 0 });
  });

  test('a client that leaves while its refusal is held is released; the held refusal then does nothing', async () => {
    const broker = new Broker();
    new Attempt(broker, 'guest', 'wrong');
    await settle();
    const held = new Attempt(broker, 'guest', 'wrong');
    await settle();
    expect(held.released).toBe(false);
    held.client.destroy();
    await settle();
    expect(held.released).toBe(true);
    await advance(1_000);
    expect(held.answers).toEqual([]);
    expect(broker.warnings).toHaveLength(2);
  });

  test('frames sent after a refused start-ok are not read', async () => {
    const broker = new Broker();
    new Attempt(broker, 'guest', 'wrong');
    await settle();
    const held = new Attempt(broker, 'guest', 'wrong');
    held.client.write(
      encodeMethodFrame(0, MethodId.ConnectionStartOk, {
        clientProperties: {},
        mechanism: 'PLAIN',
        response: Buffer.from('\0guest\0guest'),
        locale: 'en_US',
      }),
    );
    await settle();
    await advance(100);
    expect([held.answers, held.ended]).toEqual([[], true]);
    expect(broker.warnings).toHaveLength(2);
  });
});
