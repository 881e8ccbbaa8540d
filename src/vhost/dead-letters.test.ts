/**
 * Dead-letter cascades run as a work list with a budget per turn: queues that overflow into each other (x-max-length
 * with a dead-letter exchange they are all bound to) used to recurse through enqueue -> drop-head -> dead-letter ->
 * enqueue in one event-loop turn, fanning out until the broker stopped answering (found by npm run fuzz -- --rich).
 */
import { MemoryStore } from '../store/memory';
import { headersOf, type QueueEntry } from '../queue/message';
import type { FieldTable } from '../protocol/field-table';
import { VirtualHost } from './vhost';
import { MAX_COPIES_PER_CASCADE, MAX_PENDING_DEAD_LETTERS } from './dead-letters';
import { HandClock } from '../test-support/hand-clock';
import { sleep } from '../test-support/eventually';
import { encodeBasicProperties } from '../protocol/generated/amqp';

const OWNER = {};

function publish(vhost: VirtualHost, exchange: string, body: string): void {
  const message = { id: 0, persistent: false, exchange, routingKey: '', properties: Buffer.from([0, 0]), body: Buffer.from(body), expiration: -1, headers: undefined };
  vhost.publisher().publish(vhost.exchangeOrDie(exchange), message);
}

function meshOf(vhost: VirtualHost, n: number): string[] {
  vhost.declareExchange({ name: 'fx', type: 'fanout', passive: false, durable: false, autoDelete: false, internal: false, arguments: {} });
  const names = Array.from({ length: n }, (_, i) => `q${i}`);
  for (const name of names) {
    vhost.declareQueue(
      { name, passive: false, durable: false, exclusive: false, autoDelete: false, arguments: { 'x-max-length': 1, 'x-dead-letter-exchange': 'fx' } },
      OWNER,
    );
    vhost.bindQueue(name, 'fx', '', {}, OWNER);
  }
  return names;
}

async function settled(vhost: VirtualHost): Promise<void> {
  const pending = (): number => (vhost as unknown as { deadLetters: { pending: number } }).deadLetters.pending;
  for (let i = 0; i < 10_000 && pending() > 0; i++) await new Promise((resolve) => setImmediate(resolve));
  expect(pending()).toBe(0);
}

test('queues overflowing into each other through one fanout exchange: every turn stays short, and the cascade ends', async () => {
  const vhost = new VirtualHost('/', new MemoryStore());
  const names = meshOf(vhost, 6);
  let longest = 0;
  for (let i = 0; i < 20; i++) {
    const started = performance.now();
    publish(vhost, 'fx', `m${i}`);
    longest = Math.max(longest, performance.now() - started);
    await new Promise((resolve) => setImmediate(resolve));
  }
  await settled(vhost);
  // The budget bounds a turn: 2,048 copies of a few hundred bytes each, far under this.
  expect(longest).toBeLessThan(1000);
  // Each queue holds its one newest message; every copy carries the deaths that brought it there, no queue twice.
  for (const name of names) {
    const q = vhost.queueOrDie(name);
    expect(q.messageCount).toBe(1);
  }
});

/** Fanout 'in' -> queue 'src', whose dead letters go through fanout 'dlx' to queue 'dlq'. */
function withDeadLetterQueue(vhost: VirtualHost): void {
  vhost.declareExchange({ name: 'dlx', type: 'fanout', passive: false, durable: false, autoDelete: false, internal: false, arguments: {} });
  vhost.declareQueue({ name: 'dlq', passive: false, durable: false, exclusive: false, autoDelete: false, arguments: {} }, OWNER);
  vhost.bindQueue('dlq', 'dlx', '', {}, OWNER);
  vhost.declareQueue(
    { name: 'src', passive: false, durable: false, exclusive: false, autoDelete: false, arguments: { 'x-dead-letter-exchange': 'dlx' } },
    OWNER,
  );
  vhost.declareExchange({ name: 'in', type: 'fanout', passive: false, durable: false, autoDelete: false, internal: false, arguments: {} });
  vhost.bindQueue('src', 'in', '', {}, OWNER);
}

test('a single dead-lettering is still delivered before the call returns (a reject, an expiry)', () => {
  const vhost = new VirtualHost('/', new MemoryStore());
  withDeadLetterQueue(vhost);
  publish(vhost, 'in', 'rejected');
  const src = vhost.queueOrDie('src');
  const entry = src.take(false) as QueueEntry;
  src.settle(entry, true);
  expect(vhost.queueOrDie('dlq').messageCount).toBe(1);
});

test(`a cascade past ${MAX_COPIES_PER_CASCADE} copies, or past ${MAX_PENDING_DEAD_LETTERS} waiting, drops further ones and reports it`, async () => {
  const errors: string[] = [];
  const vhost = new VirtualHost('/', new MemoryStore(), undefined, undefined, {
    internalError: (err) => errors.push((err as Error).message),
    setAside: () => {},
    deadLettersDropped: (_vhost, dropped) => errors.push(`${dropped} dead-letter copies dropped`),
  });
  const names = meshOf(vhost, 8);
  for (let i = 0; i < 3; i++) publish(vhost, 'fx', `m${i}`);
  const pending = (vhost as unknown as { deadLetters: { pending: number } }).deadLetters.pending;
  expect(pending).toBeLessThanOrEqual(MAX_PENDING_DEAD_LETTERS);
  await settled(vhost);
  for (const name of names) expect(vhost.queueOrDie(name).messageCount).toBe(1);
  expect(errors.length).toBeGreaterThan(0);
  expect(errors.every((e) => /dead-letter copies dropped/.test(e))).toBe(true);
}, 60_000);

test('the budget is per turn, shared by every dead-lettering in it: an expiry pass of thousands spreads over turns, nothing lost', async () => {
  const vhost = new VirtualHost('/', new MemoryStore());
  withDeadLetterQueue(vhost);
  for (let i = 0; i < 3000; i++) publish(vhost, 'in', `m${i}`);
  const src = vhost.queueOrDie('src');
  const taken: QueueEntry[] = [];
  for (let e = src.take(false); e !== undefined; e = src.take(false)) taken.push(e);
  for (const entry of taken) src.settle(entry, true);
  const dlq = vhost.queueOrDie('dlq');
  expect(dlq.messageCount).toBeLessThan(3000);
  expect(dlq.messageCount).toBeGreaterThan(0);
  await settled(vhost);
  expect(dlq.messageCount).toBe(3000);
});

test(`one dead-lettering causes at most ${MAX_COPIES_PER_CASCADE} copies, its cascade included`, async () => {
  const dropped: number[] = [];
  const vhost = new VirtualHost('/', new MemoryStore(), undefined, undefined, {
    internalError: () => {},
    setAside: () => {},
    deadLettersDropped: (_vhost, n) => dropped.push(n),
  });
  meshOf(vhost, 7);
  vhost.declareQueue({ name: 'sink', passive: false, durable: false, exclusive: false, autoDelete: false, arguments: {} }, OWNER);
  vhost.bindQueue('sink', 'fx', '', {}, OWNER);
  publish(vhost, 'fx', 'first'); // fills the mesh: nothing dead-letters yet
  await settled(vhost);
  publish(vhost, 'fx', 'second'); // each of the 7 mesh queues drops 'first': 7 dead-letterings, 7 cascades
  await settled(vhost);
  const sink = vhost.queueOrDie('sink').messageCount;
  expect(sink).toBeGreaterThan(2);
  expect(sink).toBeLessThanOrEqual(2 + 7 * MAX_COPIES_PER_CASCADE);
  expect(dropped.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
});

describe('deaths a client or a timer causes are never dropped, only paced', () => {
  function topology(vhost: VirtualHost, srcArgs: Record<string, unknown>): void {
    vhost.declareExchange({ name: 'dlx', type: 'fanout', passive: false, durable: false, autoDelete: false, internal: false, arguments: {} });
    vhost.declareQueue({ name: 'dlq', passive: false, durable: false, exclusive: false, autoDelete: false, arguments: {} }, OWNER);
    vhost.bindQueue('dlq', 'dlx', '', {}, OWNER);
    vhost.declareQueue(
      { name: 'src', passive: false, durable: false, exclusive: false, autoDelete: false, arguments: { 'x-dead-letter-exchange': 'dlx', ...srcArgs } },
      OWNER,
    );
    vhost.declareExchange({ name: 'in', type: 'fanout', passive: false, durable: false, autoDelete: false, internal: false, arguments: {} });
    vhost.bindQueue('src', 'in', '', {}, OWNER);
  }
  const pendingOf = (vhost: VirtualHost): number => (vhost as unknown as { deadLetters: { pending: number } }).deadLetters.pending;

  test(`${MAX_PENDING_DEAD_LETTERS * 2} rejected in one turn (a nack with multiple) all reach the dead-letter queue`, async () => {
    const vhost = new VirtualHost('/', new MemoryStore());
    topology(vhost, {});
    const n = MAX_PENDING_DEAD_LETTERS * 2;
    for (let i = 0; i < n; i++) publish(vhost, 'in', `m${i}`);
    const src = vhost.queueOrDie('src');
    const taken: QueueEntry[] = [];
    for (let e = src.take(false); e !== undefined; e = src.take(false)) taken.push(e);
    for (const entry of taken) src.settle(entry, true);
    await settled(vhost);
    expect(vhost.queueOrDie('dlq').messageCount).toBe(n);
  });

  test('20,000 expiring at once reach the dead-letter queue, expiry pacing itself on the copies waiting', async () => {
    const vhost = new VirtualHost('/', new MemoryStore());
    topology(vhost, { 'x-message-ttl': 20 });
    const n = 20_000;
    for (let i = 0; i < n; i++) publish(vhost, 'in', `m${i}`);
    let most = 0;
    const dlq = vhost.queueOrDie('dlq');
    // Real timers on purpose: expiry re-arms itself while dead-lettering is congested, turn after turn.
    for (let i = 0; i < 5000 && dlq.messageCount < n; i++) {
      most = Math.max(most, pendingOf(vhost));
      await sleep(1);
    }
    expect(dlq.messageCount).toBe(n);
    expect(vhost.queueOrDie('src').messageCount).toBe(0);
    expect(most).toBeLessThan(4096);
  });
});

test("a copy's x-death time is its vhost clock's, in whole seconds", () => {
  const clock = new HandClock(1_800_000_123_456);
  const vhost = new VirtualHost('/', new MemoryStore(), undefined, undefined, undefined, clock);
  withDeadLetterQueue(vhost);
  const properties = encodeBasicProperties({ headers: {} });
  const message = { id: 0, persistent: false, exchange: 'in', routingKey: '', properties, body: Buffer.from('x'), expiration: -1, headers: undefined };
  vhost.publisher().publish(vhost.exchangeOrDie('in'), message);
  const src = vhost.queueOrDie('src');
  src.settle(src.take(false) as QueueEntry, true);
  const copy = vhost.queueOrDie('dlq').take(true) as QueueEntry;
  const [death] = headersOf(copy.message)?.['x-death'] as FieldTable[];
  expect(death?.time).toEqual(new Date(1_800_000_123_000));
});
