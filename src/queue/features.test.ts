/**
 * Queue features driven by arguments: expiry by deadline (per-message expiration, x-message-ttl), length limits and
 * x-overflow, priorities, dead-lettering on reject, x-delivery-limit, single active consumer and x-expires.
 * Settings come from parseQueueArguments, as the vhost passes them; dead-lettering is observed through the hooks
 * (the vhost's rewrite and routing are tested elsewhere). Timers are real, with short periods and polling.
 */
import type { FieldTable } from '../protocol/field-table';
import { decodeBasicProperties, encodeBasicProperties, type BasicProperties } from '../protocol/generated/amqp';
import { parseQueueArguments } from './arguments';
import type { QueueConsumer } from './consumer';
import type { DeathReason } from './dead-letter';
import { MemoryStore } from '../store/memory';
import { VirtualHost } from '../vhost/vhost';
import type { Message, QueueEntry } from './message';
import { Queue } from './queue';
import type { QueueHooks } from './queue-options';

/** A consumer that records deliveries; it accepts while it holds fewer than `limit` of them. */
class FakeConsumer implements QueueConsumer {
  readonly delivered: QueueEntry[] = [];
  limit: number;

  constructor(
    readonly tag: string,
    readonly priority = 0,
    limit = Infinity,
    readonly noAck = limit === Infinity,
    readonly exclusive = false,
  ) {
    this.limit = limit;
  }

  canAccept(): boolean {
    return this.delivered.length < this.limit;
  }

  deliver(_queue: Queue, entry: QueueEntry): void {
    this.delivered.push(entry);
  }

  cancelledByBroker(): void {}

  get bodies(): string[] {
    return this.delivered.map((e) => e.message.body.toString());
  }
}

interface Death {
  readonly body: string;
  readonly reason: DeathReason;
  readonly queue: string;
  /** Date.now() when the queue dead-lettered it. */
  readonly at: number;
  readonly message: Message;
}

/** Hooks that record dead-lettering and unused calls. */
class Recorder implements QueueHooks {
  readonly deaths: Death[] = [];
  readonly unusedAt: number[] = [];

  unused(): void {
    this.unusedAt.push(Date.now());
  }

  deadLetter(queue: Queue, message: Message, reason: DeathReason, release?: () => void): void {
    this.deaths.push({ body: message.body.toString(), reason, queue: queue.name, at: Date.now(), message });
    release?.();
  }

  get summary(): Array<[string, DeathReason]> {
    return this.deaths.map((d) => [d.body, d.reason]);
  }
}

const DLX: FieldTable = { 'x-dead-letter-exchange': 'dlx' };

const queues: Queue[] = [];

afterEach(() => {
  // Stop every queue's timers so none fires into a later test.
  for (const q of queues.splice(0)) if (!q.deleted) q.destroy();
});

function makeQueue(args: FieldTable = {}, hooks = new Recorder()): { q: Queue; hooks: Recorder } {
  const q = new Queue(
    { vhost: '/', name: 'q', durable: false, autoDelete: false, exclusiveOwner: null, arguments: args, settings: parseQueueArguments(args) },
    hooks,
  );
  queues.push(q);
  return { q, hooks };
}

function msg(body: string, props: BasicProperties = {}): Message {
  return {
    id: 0,
    persistent: false,
    exchange: '',
    routingKey: 'q',
    properties: encodeBasicProperties(props),
    body: Buffer.from(body),
    expiration: props.expiration === undefined ? -1 : Number(props.expiration),
    headers: undefined,
  };
}

function expiring(body: string, ms: number): Message {
  return msg(body, { expiration: String(ms) });
}

function takeAll(q: Queue): string[] {
  const out: string[] = [];
  for (let e = q.take(true); e !== undefined; e = q.take(true)) out.push(e.message.body.toString());
  return out;
}

function headersOf(entry: QueueEntry): FieldTable | undefined {
  const props = entry.message.properties;
  return decodeBasicProperties(props, 0, props.length).headers;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `condition` holds or `ms` pass; returns whether it held. */
async function eventually(condition: () => boolean, ms = 1000): Promise<boolean> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) return false;
    await sleep(5);
  }
  return true;
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('expiry by deadline (per-message expiration)', () => {
  test('a short-lived message behind a long-lived one expires on time; the long-lived one stays', async () => {
    const { q, hooks } = makeQueue(DLX);
    const start = Date.now();
    q.enqueue(expiring('A', 60000));
    q.enqueue(expiring('B', 30));
    expect(q.messageCount).toBe(2);
    expect(q.readyBytes).toBe(2);
    expect(await eventually(() => hooks.deaths.length > 0, 1000)).toBe(true);
    expect(hooks.summary).toEqual([['B', 'expired']]);
    const death = hooks.deaths[0] as Death;
    expect(death.at - start).toBeGreaterThanOrEqual(29);
    expect(death.at - start).toBeLessThan(200);
    expect(death.queue).toBe('q');
    expect(q.messageCount).toBe(1);
    expect(q.readyBytes).toBe(1);
    expect(takeAll(q)).toEqual(['A']);
    expect(hooks.deaths).toHaveLength(1);
  });

  test('several deadlines out of publish order expire in deadline order, each on time', async () => {
    const { q, hooks } = makeQueue(DLX);
    q.enqueue(expiring('slow', 150));
    q.enqueue(expiring('keep', 60000));
    q.enqueue(expiring('fast', 20));
    q.enqueue(msg('forever'));
    q.enqueue(expiring('mid', 80));
    expect(await eventually(() => hooks.deaths.length === 3)).toBe(true);
    expect(hooks.summary).toEqual([
      ['fast', 'expired'],
      ['mid', 'expired'],
      ['slow', 'expired'],
    ]);
    expect(q.messageCount).toBe(2);
    expect(takeAll(q)).toEqual(['keep', 'forever']);
  });

  test('without a dead-letter exchange an expired message just disappears', async () => {
    const { q, hooks } = makeQueue();
    q.enqueue(expiring('A', 60000));
    q.enqueue(expiring('B', 20));
    expect(await eventually(() => q.messageCount === 1)).toBe(true);
    expect(hooks.deaths).toEqual([]);
    expect(takeAll(q)).toEqual(['A']);
  });

  test('basic.get never returns a message past its deadline', async () => {
    const { q, hooks } = makeQueue(DLX);
    q.enqueue(expiring('old', 10));
    q.enqueue(msg('new'));
    await sleep(30);
    expect(q.take(true)?.message.body.toString()).toBe('new');
    expect(hooks.summary).toEqual([['old', 'expired']]);
  });

  test('a delivered (unacked) message does not expire while it is out', async () => {
    const { q, hooks } = makeQueue(DLX);
    q.enqueue(expiring('out', 20));
    const entry = q.take(false) as QueueEntry;
    await sleep(80);
    expect(hooks.deaths).toEqual([]);
    q.settle(entry);
    expect(hooks.deaths).toEqual([]);
  });

  test('a message expires while the only consumer is at its prefetch limit', async () => {
    const { q, hooks } = makeQueue(DLX);
    const c = new FakeConsumer('c', 0, 1, false);
    q.addConsumer(c);
    q.enqueue(msg('held'));
    q.enqueue(expiring('waiting', 20));
    expect(c.bodies).toEqual(['held']);
    expect(await eventually(() => hooks.deaths.length === 1)).toBe(true);
    expect(hooks.summary).toEqual([['waiting', 'expired']]);
    expect(q.messageCount).toBe(0);
  });
});

describe('x-message-ttl', () => {
  test('a lower per-message expiration wins over the queue TTL', async () => {
    const { q, hooks } = makeQueue({ ...DLX, 'x-message-ttl': 5000 });
    const start = Date.now();
    q.enqueue(expiring('short', 30));
    q.enqueue(msg('plain'));
    expect(await eventually(() => hooks.deaths.length === 1)).toBe(true);
    expect(hooks.summary).toEqual([['short', 'expired']]);
    expect((hooks.deaths[0] as Death).at - start).toBeLessThan(1000);
    expect(takeAll(q)).toEqual(['plain']);
  });

  test('a higher per-message expiration loses to the queue TTL', async () => {
    const { q, hooks } = makeQueue({ ...DLX, 'x-message-ttl': 40 });
    const start = Date.now();
    q.enqueue(expiring('long', 60000));
    expect(await eventually(() => hooks.deaths.length === 1)).toBe(true);
    const death = hooks.deaths[0] as Death;
    expect([death.body, death.reason]).toEqual(['long', 'expired']);
    expect(death.at - start).toBeGreaterThanOrEqual(39);
    expect(death.at - start).toBeLessThan(500);
    expect(q.messageCount).toBe(0);
  });

  test('ttl 150 with per-message 30, 5000 and none: the 30 one first, then the others at the TTL', async () => {
    const { q, hooks } = makeQueue({ ...DLX, 'x-message-ttl': 150 });
    const start = Date.now();
    q.enqueue(expiring('m30', 30));
    q.enqueue(expiring('m5000', 5000));
    q.enqueue(msg('none'));
    expect(await eventually(() => hooks.deaths.length === 1)).toBe(true);
    expect(q.messageCount).toBe(2);
    expect(await eventually(() => hooks.deaths.length === 3)).toBe(true);
    expect(hooks.summary[0]).toEqual(['m30', 'expired']);
    expect(hooks.summary.slice(1).sort()).toEqual([
      ['m5000', 'expired'],
      ['none', 'expired'],
    ]);
    expect((hooks.deaths[1] as Death).at - start).toBeGreaterThanOrEqual(149);
    expect(q.messageCount).toBe(0);
  });

  test('messages expiring by the queue TTL are dead-lettered in publish order (TTL + DLX delay queues)', async () => {
    // Deadlines published within the same millisecond tie; RabbitMQ expires from the head, so in publish order.
    const { q, hooks } = makeQueue({ ...DLX, 'x-message-ttl': 30 });
    const bodies = Array.from({ length: 50 }, (_, i) => `m${i}`);
    for (const body of bodies) q.enqueue(msg(body));
    expect(await eventually(() => hooks.deaths.length === bodies.length)).toBe(true);
    expect(hooks.deaths.map((d) => d.body)).toEqual(bodies);
  });

  test('x-message-ttl 0: delivered to a consumer that can take it at once', () => {
    const { q, hooks } = makeQueue({ ...DLX, 'x-message-ttl': 0 });
    const c = new FakeConsumer('c');
    q.addConsumer(c);
    q.enqueue(msg('z1'));
    expect(c.bodies).toEqual(['z1']);
    expect(hooks.deaths).toEqual([]);
  });

  test('x-message-ttl 0 without a consumer: expired, never fetched', async () => {
    const { q, hooks } = makeQueue({ ...DLX, 'x-message-ttl': 0 });
    q.enqueue(msg('z2'));
    expect(q.take(false)).toBeUndefined();
    expect(hooks.summary).toEqual([['z2', 'expired']]);
    q.enqueue(msg('z3'));
    expect(await eventually(() => hooks.deaths.length === 2)).toBe(true);
    expect(hooks.summary).toEqual([
      ['z2', 'expired'],
      ['z3', 'expired'],
    ]);
    expect(q.messageCount).toBe(0);
  });

  test('x-message-ttl 0 with a consumer whose prefetch is full: expired, not delivered later', async () => {
    const { q, hooks } = makeQueue({ ...DLX, 'x-message-ttl': 0 });
    const c = new FakeConsumer('c', 0, 1, false);
    q.addConsumer(c);
    q.enqueue(msg('z3'));
    q.enqueue(msg('z4'));
    expect(c.bodies).toEqual(['z3']);
    expect(await eventually(() => hooks.deaths.length === 1)).toBe(true);
    expect(hooks.summary).toEqual([['z4', 'expired']]);
    q.settle(c.delivered.splice(0)[0] as QueueEntry);
    q.scheduleDrain();
    await nextTurn();
    expect(c.bodies).toEqual([]);
    expect(q.messageCount).toBe(0);
  });
});

describe('requeued entries keep their deadline', () => {
  test('a message requeued before its deadline expires at the original deadline, not later', async () => {
    const { q, hooks } = makeQueue(DLX);
    const start = Date.now();
    q.enqueue(expiring('r', 300));
    const entry = q.take(false) as QueueEntry;
    const deadline = entry.expiresAt;
    await sleep(150);
    q.requeue([entry]);
    expect(entry.expiresAt).toBe(deadline);
    expect(q.messageCount).toBe(1);
    expect(await eventually(() => hooks.deaths.length === 1)).toBe(true);
    const death = hooks.deaths[0] as Death;
    expect([death.body, death.reason]).toEqual(['r', 'expired']);
    expect(death.at - start).toBeGreaterThanOrEqual(299);
    // A deadline restarted at the requeue would be 450 ms after the publish.
    expect(death.at - start).toBeLessThan(430);
    expect(q.messageCount).toBe(0);
  });

  test('a message requeued after its deadline is dropped, not redelivered', async () => {
    const { q, hooks } = makeQueue({ ...DLX, 'x-message-ttl': 40 });
    const c = new FakeConsumer('c', 0, 1, false);
    q.addConsumer(c);
    q.enqueue(msg('late'));
    const entry = c.delivered.splice(0)[0] as QueueEntry;
    await sleep(80);
    q.requeue([entry]);
    expect(await eventually(() => hooks.deaths.length === 1)).toBe(true);
    expect(hooks.summary).toEqual([['late', 'expired']]);
    await nextTurn();
    expect(c.delivered).toEqual([]);
    expect(q.messageCount).toBe(0);
  });
});

describe('length limits', () => {
  test('x-max-length drop-head: the oldest is dead-lettered (maxlen), bytes follow', () => {
    const { q, hooks } = makeQueue({ ...DLX, 'x-max-length': 2 });
    expect(q.enqueue(msg('a'))).toBe(true);
    expect(q.enqueue(msg('bb'))).toBe(true);
    expect(q.enqueue(msg('ccc'))).toBe(true);
    expect(hooks.summary).toEqual([['a', 'maxlen']]);
    expect(q.messageCount).toBe(2);
    expect(q.readyBytes).toBe(5);
    expect(q.enqueue(msg('dddd'))).toBe(true);
    expect(hooks.summary).toEqual([
      ['a', 'maxlen'],
      ['bb', 'maxlen'],
    ]);
    expect(q.readyBytes).toBe(7);
    expect(takeAll(q)).toEqual(['ccc', 'dddd']);
    expect(q.readyBytes).toBe(0);
  });

  test('x-max-length-bytes drop-head counts body bytes only', () => {
    const { q, hooks } = makeQueue({ ...DLX, 'x-max-length-bytes': 10 });
    q.enqueue(msg('11111'));
    q.enqueue(msg('22222', { headers: { big: 'x'.repeat(100) } }));
    expect(q.messageCount).toBe(2);
    expect(q.readyBytes).toBe(10);
    expect(hooks.deaths).toEqual([]);
    q.enqueue(msg('3'));
    expect(hooks.summary).toEqual([['11111', 'maxlen']]);
    expect(q.readyBytes).toBe(6);
    expect(takeAll(q)).toEqual(['22222', '3']);
  });

  test('x-max-length-bytes drop-head: a single message bigger than the limit is dropped at once', () => {
    const { q, hooks } = makeQueue({ ...DLX, 'x-max-length-bytes': 10 });
    expect(q.enqueue(msg('12345678901'))).toBe(true);
    expect(hooks.summary).toEqual([['12345678901', 'maxlen']]);
    expect(q.messageCount).toBe(0);
    expect(q.readyBytes).toBe(0);
  });

  test('x-max-length 0: every publish is dropped', () => {
    const { q, hooks } = makeQueue({ ...DLX, 'x-max-length': 0 });
    q.enqueue(msg('a'));
    q.enqueue(msg('b'));
    expect(q.messageCount).toBe(0);
    expect(hooks.summary).toEqual([
      ['a', 'maxlen'],
      ['b', 'maxlen'],
    ]);
  });

  test('drop-head without a dead-letter exchange drops silently', () => {
    const { q, hooks } = makeQueue({ 'x-max-length': 1 });
    q.enqueue(msg('a'));
    q.enqueue(msg('b'));
    expect(hooks.deaths).toEqual([]);
    expect(takeAll(q)).toEqual(['b']);
  });

  test('unacked deliveries do not count toward x-max-length', () => {
    const { q, hooks } = makeQueue({ ...DLX, 'x-max-length': 1 });
    q.enqueue(msg('u1'));
    const u1 = q.take(false) as QueueEntry;
    q.enqueue(msg('u2'));
    q.enqueue(msg('u3'));
    expect(q.messageCount).toBe(1);
    expect(hooks.summary).toEqual([['u2', 'maxlen']]);
    q.settle(u1);
    expect(takeAll(q)).toEqual(['u3']);
  });

  test('a requeue that takes the queue over x-max-length drops the head (the requeued one), as RabbitMQ does', () => {
    const { q, hooks } = makeQueue({ ...DLX, 'x-max-length': 1 });
    q.enqueue(msg('u1'));
    const u1 = q.take(false) as QueueEntry;
    q.enqueue(msg('u2'));
    q.requeue([u1]);
    expect(q.messageCount).toBe(1);
    expect(hooks.summary).toEqual([['u1', 'maxlen']]);
    expect(takeAll(q)).toEqual(['u2']);
  });

  test('reject-publish: enqueue refuses when full, nothing is dead-lettered, the queue keeps the first ones', () => {
    const { q, hooks } = makeQueue({ ...DLX, 'x-max-length': 2, 'x-overflow': 'reject-publish' });
    expect([q.enqueue(msg('r0')), q.enqueue(msg('r1')), q.enqueue(msg('r2'))]).toEqual([true, true, false]);
    expect(q.messageCount).toBe(2);
    expect(q.readyBytes).toBe(4);
    expect(hooks.deaths).toEqual([]);
    expect(q.take(true)?.message.body.toString()).toBe('r0');
    expect(q.enqueue(msg('r3'))).toBe(true);
    expect(takeAll(q)).toEqual(['r1', 'r3']);
  });

  test('reject-publish on bytes: a message that would take the queue past x-max-length-bytes is refused', () => {
    // RabbitMQ's will_overflow: ready bytes + the new body > max (rabbit_amqqueue_process).
    const { q, hooks } = makeQueue({ ...DLX, 'x-max-length-bytes': 10, 'x-overflow': 'reject-publish' });
    expect(q.enqueue(msg('12345'))).toBe(true);
    expect(q.enqueue(msg('123456'))).toBe(false);
    expect(q.readyBytes).toBe(5);
    expect(q.enqueue(msg('12345'))).toBe(true);
    expect(q.readyBytes).toBe(10);
    expect(q.enqueue(msg('1'))).toBe(false);
    expect(q.readyBytes).toBe(10);
    expect(hooks.deaths).toEqual([]);
  });

  test('reject-publish on bytes: a single message bigger than the limit is refused by an empty queue', () => {
    const { q } = makeQueue({ 'x-max-length-bytes': 10, 'x-overflow': 'reject-publish' });
    expect(q.enqueue(msg('12345678901'))).toBe(false);
    expect(q.messageCount).toBe(0);
    expect(q.readyBytes).toBe(0);
  });

  test('reject-publish-dlx: refused and dead-lettered with reason maxlen', () => {
    const { q, hooks } = makeQueue({ ...DLX, 'x-max-length': 1, 'x-overflow': 'reject-publish-dlx' });
    expect([q.enqueue(msg('d0')), q.enqueue(msg('d1')), q.enqueue(msg('d2'))]).toEqual([true, false, false]);
    expect(hooks.summary).toEqual([
      ['d1', 'maxlen'],
      ['d2', 'maxlen'],
    ]);
    expect(takeAll(q)).toEqual(['d0']);
  });

  test('reject-publish-dlx without a dead-letter exchange only refuses', () => {
    const { q, hooks } = makeQueue({ 'x-max-length': 1, 'x-overflow': 'reject-publish-dlx' });
    expect([q.enqueue(msg('d0')), q.enqueue(msg('d1'))]).toEqual([true, false]);
    expect(hooks.deaths).toEqual([]);
    expect(q.messageCount).toBe(1);
  });
});

describe('priority queues (x-max-priority)', () => {
  const prio = (body: string, priority?: number): Message => msg(body, priority === undefined ? {} : { priority });

  test('higher first, FIFO within a priority, above max treated as max, none as 0; the property is unchanged', () => {
    const { q } = makeQueue({ 'x-max-priority': 5 });
    q.enqueue(prio('a', 1));
    q.enqueue(prio('b', 5));
    q.enqueue(prio('c', 9));
    q.enqueue(prio('d'));
    q.enqueue(prio('e', 5));
    q.enqueue(prio('f', 0));
    q.enqueue(prio('g', 3));
    expect(q.messageCount).toBe(7);
    const got: Array<[string, number | undefined]> = [];
    for (let e = q.take(true); e !== undefined; e = q.take(true)) {
      const props = e.message.properties;
      got.push([e.message.body.toString(), decodeBasicProperties(props, 0, props.length).priority]);
    }
    expect(got).toEqual([
      ['b', 5],
      ['c', 9],
      ['e', 5],
      ['g', 3],
      ['a', 1],
      ['d', undefined],
      ['f', 0],
    ]);
  });

  test('a consumer with prefetch 2 gets the high ones first, the low ones after acks', async () => {
    const { q } = makeQueue({ 'x-max-priority': 5 });
    for (const [body, p] of [
      ['l1', 1],
      ['l2', 1],
      ['h1', 5],
      ['h2', 5],
    ] as const) {
      q.enqueue(prio(body, p));
    }
    const c = new FakeConsumer('c', 0, 2, false);
    q.addConsumer(c);
    await nextTurn();
    expect(c.bodies).toEqual(['h1', 'h2']);
    for (const e of c.delivered.splice(0)) q.settle(e);
    q.scheduleDrain();
    await nextTurn();
    expect(c.bodies).toEqual(['l1', 'l2']);
  });

  test('requeued entries go back to their place within their priority', () => {
    const { q } = makeQueue({ 'x-max-priority': 5 });
    q.enqueue(prio('h1', 5));
    q.enqueue(prio('h2', 5));
    q.enqueue(prio('l1', 1));
    const h1 = q.take(false) as QueueEntry;
    q.enqueue(prio('h3', 5));
    q.requeue([h1]);
    expect(takeAll(q)).toEqual(['h1', 'h2', 'h3', 'l1']);
  });

  test('x-max-priority 0: priorities have no effect', () => {
    const { q } = makeQueue({ 'x-max-priority': 0 });
    q.enqueue(prio('a', 0));
    q.enqueue(prio('b', 9));
    q.enqueue(prio('c', 3));
    expect(takeAll(q)).toEqual(['a', 'b', 'c']);
  });

  test('a plain queue ignores the priority property', () => {
    const { q } = makeQueue();
    q.enqueue(prio('a', 1));
    q.enqueue(prio('b', 9));
    expect(takeAll(q)).toEqual(['a', 'b']);
  });
});

describe('settle: rejection dead-letters', () => {
  test('settle(entry, true) dead-letters with reason rejected; settle(entry) does not', () => {
    const { q, hooks } = makeQueue(DLX);
    q.enqueue(msg('acked'));
    q.enqueue(msg('rejected'));
    const acked = q.take(false) as QueueEntry;
    const rejected = q.take(false) as QueueEntry;
    q.settle(acked);
    expect(hooks.deaths).toEqual([]);
    q.settle(rejected, true);
    expect(hooks.summary).toEqual([['rejected', 'rejected']]);
    expect(hooks.deaths[0]?.message).toBe(rejected.message);
    expect(q.unackedCount).toBe(0);
  });

  test('settling the same entry twice dead-letters it once', () => {
    const { q, hooks } = makeQueue(DLX);
    q.enqueue(msg('m'));
    const e = q.take(false) as QueueEntry;
    q.settle(e, true);
    q.settle(e, true);
    expect(hooks.deaths).toHaveLength(1);
  });

  test('without a dead-letter exchange a rejected message is dropped', () => {
    const { q, hooks } = makeQueue();
    q.enqueue(msg('m'));
    q.settle(q.take(false) as QueueEntry, true);
    expect(hooks.deaths).toEqual([]);
    expect(q.messageCount).toBe(0);
  });
});

describe('x-delivery-limit', () => {
  test('limit 2: redeliveries carry x-delivery-count 1 then 2, the third return dead-letters (delivery_limit)', () => {
    const { q, hooks } = makeQueue({ ...DLX, 'x-delivery-limit': 2 });
    q.enqueue(msg('m', { headers: { keep: 'yes' } }));
    const first = q.take(false) as QueueEntry;
    expect(first.redelivered).toBe(false);
    expect(headersOf(first)).toEqual({ keep: 'yes' });

    q.requeue([first]);
    expect(first.returns).toBe(1);
    const second = q.take(false) as QueueEntry;
    expect(second.redelivered).toBe(true);
    expect(headersOf(second)).toEqual({ keep: 'yes', 'x-delivery-count': 1 });

    q.requeue([second]);
    expect(second.returns).toBe(2);
    const third = q.take(false) as QueueEntry;
    expect(headersOf(third)).toEqual({ keep: 'yes', 'x-delivery-count': 2 });
    expect(hooks.deaths).toEqual([]);

    q.requeue([third]);
    expect(hooks.summary).toEqual([['m', 'delivery_limit']]);
    expect(q.messageCount).toBe(0);
    expect(q.take(false)).toBeUndefined();
    expect(q.unackedCount).toBe(0);
  });

  test('without a dead-letter exchange the message just disappears after the limit', () => {
    const { q, hooks } = makeQueue({ 'x-delivery-limit': 2 });
    q.enqueue(msg('m'));
    for (let i = 0; i < 3; i++) q.requeue([q.take(false) as QueueEntry]);
    expect(q.messageCount).toBe(0);
    expect(hooks.deaths).toEqual([]);
  });

  test('limit 0: the first return dead-letters', () => {
    const { q, hooks } = makeQueue({ ...DLX, 'x-delivery-limit': 0 });
    q.enqueue(msg('m'));
    q.requeue([q.take(false) as QueueEntry]);
    expect(hooks.summary).toEqual([['m', 'delivery_limit']]);
    expect(q.messageCount).toBe(0);
  });

  test('returns count per entry: other entries requeued alongside are unaffected', () => {
    const { q, hooks } = makeQueue({ ...DLX, 'x-delivery-limit': 1 });
    q.enqueue(msg('a'));
    const a = q.take(false) as QueueEntry;
    q.requeue([a]);
    q.enqueue(msg('b'));
    const a2 = q.take(false) as QueueEntry;
    const b = q.take(false) as QueueEntry;
    q.requeue([b, a2]);
    expect(hooks.summary).toEqual([['a', 'delivery_limit']]);
    const again = q.take(false) as QueueEntry;
    expect(again.message.body.toString()).toBe('b');
    expect(headersOf(again)).toEqual({ 'x-delivery-count': 1 });
  });

  test('a queue without a limit adds no x-delivery-count to redeliveries', () => {
    const { q } = makeQueue();
    q.enqueue(msg('m', { headers: { keep: 1 } }));
    const e = q.take(false) as QueueEntry;
    q.requeue([e]);
    expect(headersOf(q.take(false) as QueueEntry)).toEqual({ keep: 1 });
  });

  test('x-queue-type quorum marks redeliveries with x-delivery-count and never drops without a limit', () => {
    const { q, hooks } = makeQueue({ ...DLX, 'x-queue-type': 'quorum' });
    q.enqueue(msg('m'));
    let e = q.take(false) as QueueEntry;
    for (let i = 1; i <= 5; i++) {
      q.requeue([e]);
      e = q.take(false) as QueueEntry;
      expect(headersOf(e)?.['x-delivery-count']).toBe(i);
    }
    expect(hooks.deaths).toEqual([]);
  });
});

describe('single active consumer', () => {
  test('everything goes to the first registered consumer, even when a later one has a higher priority', () => {
    const { q } = makeQueue({ 'x-single-active-consumer': true });
    const first = new FakeConsumer('first', 0);
    const second = new FakeConsumer('second', 10);
    q.addConsumer(first);
    q.addConsumer(second);
    expect(q.consumerCount).toBe(2);
    expect(q.activeConsumer).toBe(first);
    for (const body of ['m1', 'm2', 'm3']) q.enqueue(msg(body));
    expect(first.bodies).toEqual(['m1', 'm2', 'm3']);
    expect(second.bodies).toEqual([]);
  });

  test('when the active consumer cannot accept, messages wait instead of going to the next one', () => {
    const { q } = makeQueue({ 'x-single-active-consumer': true });
    const first = new FakeConsumer('first', 0, 1, false);
    const second = new FakeConsumer('second');
    q.addConsumer(first);
    q.addConsumer(second);
    q.enqueue(msg('m1'));
    q.enqueue(msg('m2'));
    expect(first.bodies).toEqual(['m1']);
    expect(second.bodies).toEqual([]);
    expect(q.messageCount).toBe(1);
  });

  test('after removeConsumer of the active one, the next gets the waiting and new messages', async () => {
    const { q } = makeQueue({ 'x-single-active-consumer': true });
    const first = new FakeConsumer('first', 0, 1, false);
    const second = new FakeConsumer('second');
    q.addConsumer(first);
    q.addConsumer(second);
    q.enqueue(msg('n0'));
    q.enqueue(msg('n1'));
    q.removeConsumer(first);
    expect(q.activeConsumer).toBe(second);
    q.requeue(first.delivered.splice(0));
    await nextTurn();
    q.enqueue(msg('n2'));
    expect(second.bodies).toEqual(['n0', 'n1', 'n2']);
    expect(second.delivered[0]?.redelivered).toBe(true);
    expect(second.delivered[1]?.redelivered).toBe(false);
  });

  test('without x-single-active-consumer the higher-priority consumer is preferred (contrast)', () => {
    const { q } = makeQueue();
    const first = new FakeConsumer('first', 0);
    const second = new FakeConsumer('second', 10);
    q.addConsumer(first);
    q.addConsumer(second);
    q.enqueue(msg('m1'));
    expect(q.activeConsumer).toBeUndefined();
    expect(second.bodies).toEqual(['m1']);
  });
});

describe('x-expires', () => {
  test('the unused hook fires after the period without consumers, not before', async () => {
    const start = Date.now();
    const { hooks } = makeQueue({ 'x-expires': 80 });
    expect(await eventually(() => hooks.unusedAt.length > 0)).toBe(true);
    expect((hooks.unusedAt[0] as number) - start).toBeGreaterThanOrEqual(79);
    expect((hooks.unusedAt[0] as number) - start).toBeLessThan(500);
    expect(hooks.unusedAt).toHaveLength(1);
  });

  test('a queue holding messages expires too; publishing does not count as use', async () => {
    const start = Date.now();
    const { q, hooks } = makeQueue({ 'x-expires': 100 });
    for (let i = 0; i < 4; i++) {
      q.enqueue(msg(`m${i}`));
      await sleep(20);
    }
    expect(await eventually(() => hooks.unusedAt.length > 0)).toBe(true);
    expect((hooks.unusedAt[0] as number) - start).toBeLessThan(170);
  });

  test('a consumer keeps the queue; the period restarts when it leaves', async () => {
    const { q, hooks } = makeQueue({ 'x-expires': 60 });
    const c = new FakeConsumer('c');
    q.addConsumer(c);
    await sleep(180);
    expect(hooks.unusedAt).toEqual([]);
    const left = Date.now();
    q.removeConsumer(c);
    expect(await eventually(() => hooks.unusedAt.length > 0)).toBe(true);
    expect((hooks.unusedAt[0] as number) - left).toBeGreaterThanOrEqual(59);
  });

  test('declared() restarts the period', async () => {
    const { q, hooks } = makeQueue({ 'x-expires': 100 });
    await sleep(60);
    const redeclared = Date.now();
    q.declared();
    await sleep(60);
    expect(hooks.unusedAt).toEqual([]);
    expect(await eventually(() => hooks.unusedAt.length > 0)).toBe(true);
    expect((hooks.unusedAt[0] as number) - redeclared).toBeGreaterThanOrEqual(99);
  });

  test('basic.get (take), even on an empty queue, restarts the period', async () => {
    const { q, hooks } = makeQueue({ 'x-expires': 100 });
    await sleep(60);
    const got = Date.now();
    expect(q.take(false)).toBeUndefined();
    await sleep(60);
    expect(hooks.unusedAt).toEqual([]);
    expect(await eventually(() => hooks.unusedAt.length > 0)).toBe(true);
    expect((hooks.unusedAt[0] as number) - got).toBeGreaterThanOrEqual(99);
  });

  test('a passive queue.declare restarts the period too (RabbitMQ 3.10), through the vhost', async () => {
    const vhost = new VirtualHost('/', new MemoryStore());
    const owner = {};
    const declare = (passive: boolean): Queue =>
      vhost.declareQueue({ name: 'xq', passive, durable: false, exclusive: false, autoDelete: false, arguments: { 'x-expires': 100 } }, owner);
    queues.push(declare(false));
    await sleep(60);
    const checked = Date.now();
    declare(true);
    await sleep(60);
    expect(vhost.queues.has('xq')).toBe(true);
    expect(await eventually(() => !vhost.queues.has('xq'))).toBe(true);
    expect(Date.now() - checked).toBeGreaterThanOrEqual(99);
  });

  test('a destroyed queue does not report itself unused', async () => {
    const { q, hooks } = makeQueue({ 'x-expires': 30 });
    q.destroy();
    await sleep(90);
    expect(hooks.unusedAt).toEqual([]);
  });

  test('without x-expires nothing fires', async () => {
    const { hooks } = makeQueue();
    await sleep(50);
    expect(hooks.unusedAt).toEqual([]);
  });
});

describe('purge and destroy leave nothing to expire', () => {
  test('after a purge no deadline dead-letters anything, and later messages expire normally', async () => {
    const { q, hooks } = makeQueue({ ...DLX, 'x-message-ttl': 30 });
    q.enqueue(msg('a'));
    q.enqueue(expiring('b', 10));
    expect(q.purge()).toBe(2);
    expect(q.messageCount).toBe(0);
    expect(q.readyBytes).toBe(0);
    await sleep(80);
    expect(hooks.deaths).toEqual([]);
    q.enqueue(msg('after'));
    expect(await eventually(() => hooks.deaths.length === 1)).toBe(true);
    expect(hooks.summary).toEqual([['after', 'expired']]);
  });

  test('purge keeps unacked deliveries; requeued, they expire at their deadline', async () => {
    const { q, hooks } = makeQueue({ ...DLX, 'x-message-ttl': 60 });
    q.enqueue(msg('out'));
    q.enqueue(msg('ready'));
    const out = q.take(false) as QueueEntry;
    expect(q.purge()).toBe(1);
    q.requeue([out]);
    expect(q.messageCount).toBe(1);
    expect(await eventually(() => hooks.deaths.length === 1)).toBe(true);
    expect(hooks.summary).toEqual([['out', 'expired']]);
  });

  test('after destroy no deadline dead-letters anything', async () => {
    const { q, hooks } = makeQueue({ ...DLX, 'x-message-ttl': 20 });
    q.enqueue(msg('a'));
    q.enqueue(expiring('b', 5));
    expect(q.destroy()).toBe(2);
    await sleep(70);
    expect(hooks.deaths).toEqual([]);
    expect(q.messageCount).toBe(0);
  });

  test('a rejection after destroy does not dead-letter', () => {
    const { q, hooks } = makeQueue(DLX);
    q.enqueue(msg('m'));
    const e = q.take(false) as QueueEntry;
    q.destroy();
    q.settle(e, true);
    expect(hooks.deaths).toEqual([]);
  });
});
