import { AmqpError } from '../protocol/amqp-error';
import { ReplyCode } from '../protocol/generated/amqp';
import type { FieldTable } from '../protocol/field-table';
import type { QueueConsumer } from '../queue/consumer';
import type { Queue } from '../queue/queue';
import { MemoryStore } from '../store/memory';
import { VirtualHost, type ExchangeDeclare, type QueueDeclare } from './vhost';
import { routeNames } from './test-support/routing';

function exchangeReq(name: string, overrides: Partial<ExchangeDeclare> = {}): ExchangeDeclare {
  return { name, type: 'direct', passive: false, durable: false, autoDelete: false, internal: false, arguments: {}, ...overrides };
}

function queueReq(name: string, overrides: Partial<QueueDeclare> = {}): QueueDeclare {
  return { name, passive: false, durable: false, exclusive: false, autoDelete: false, arguments: {}, ...overrides };
}

function caught(fn: () => unknown): AmqpError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AmqpError);
    return err as AmqpError;
  }
  throw new Error('expected an AmqpError');
}

function expectError(fn: () => unknown, code: number, text: string): void {
  const err = caught(fn);
  expect({ code: err.replyCode, text: err.replyText }).toEqual({ code, text });
}


const CONN_A = { conn: 'A' };
const CONN_B = { conn: 'B' };

function setup(): { vhost: VirtualHost; store: MemoryStore } {
  const store = new MemoryStore();
  return { vhost: new VirtualHost('/', store), store };
}

describe('VirtualHost: built-in exchanges', () => {
  test('the default and amq.* exchanges exist with their types, durable', () => {
    const { vhost } = setup();
    const types = Object.fromEntries([...vhost.exchanges.values()].map((e) => [e.name, e.type.name]));
    expect(types).toEqual({
      '': 'direct',
      'amq.direct': 'direct',
      'amq.fanout': 'fanout',
      'amq.topic': 'topic',
      'amq.headers': 'headers',
      'amq.match': 'headers',
    });
    expect([...vhost.exchanges.values()].every((e) => e.durable && !e.autoDelete && !e.internal)).toBe(true);
  });

  test('built-in exchanges are not written to the store', () => {
    const { store } = setup();
    expect(store.loadDefinitions()).toEqual({ exchanges: [], queues: [], bindings: [] });
  });

  test('an equivalent re-declare of amq.direct is allowed', () => {
    const { vhost } = setup();
    const existing = vhost.exchangeOrDie('amq.direct');
    expect(vhost.declareExchange(exchangeReq('amq.direct', { durable: true }))).toBe(existing);
  });
});

describe('VirtualHost: exchange.declare', () => {
  test('declare creates; an equivalent re-declare returns the same exchange; passive finds it', () => {
    const { vhost } = setup();
    const x = vhost.declareExchange(exchangeReq('x', { type: 'topic' }));
    expect(x.type.name).toBe('topic');
    expect(vhost.declareExchange(exchangeReq('x', { type: 'topic' }))).toBe(x);
    expect(vhost.declareExchange(exchangeReq('x', { passive: true, type: 'fanout', durable: true }))).toBe(x);
  });

  test('passive declare of a missing exchange is 404', () => {
    const { vhost } = setup();
    expectError(
      () => vhost.declareExchange(exchangeReq('nope', { passive: true })),
      ReplyCode.NotFound,
      "NOT_FOUND - no exchange 'nope' in vhost '/'",
    );
  });

  test('unknown type is 503', () => {
    const { vhost } = setup();
    expectError(
      () => vhost.declareExchange(exchangeReq('x', { type: 'bogus' })),
      ReplyCode.CommandInvalid,
      "COMMAND_INVALID - unknown exchange type 'bogus'",
    );
    expect(vhost.exchanges.has('x')).toBe(false);
  });

  test('amq.* names are reserved', () => {
    const { vhost } = setup();
    expectError(
      () => vhost.declareExchange(exchangeReq('amq.custom')),
      ReplyCode.AccessRefused,
      "ACCESS_REFUSED - exchange name 'amq.custom' contains reserved prefix 'amq.*'",
    );
    expect(vhost.exchanges.has('amq.custom')).toBe(false);
  });

  test.each([
    ['type', { type: 'fanout' }, "received 'fanout' but current is 'direct'"],
    ['durable', { durable: true }, "received 'true' but current is 'false'"],
    ['auto_delete', { autoDelete: true }, "received 'true' but current is 'false'"],
    ['internal', { internal: true }, "received 'true' but current is 'false'"],
  ] as const)('inequivalent %s is 406', (field, overrides, detail) => {
    const { vhost } = setup();
    vhost.declareExchange(exchangeReq('x'));
    expectError(
      () => vhost.declareExchange(exchangeReq('x', overrides)),
      ReplyCode.PreconditionFailed,
      `PRECONDITION_FAILED - inequivalent arg '${field}' for exchange 'x' in vhost '/': ${detail}`,
    );
  });

  test('inequivalent alternate-exchange is 406, with typed values against none', () => {
    const { vhost } = setup();
    vhost.declareExchange(exchangeReq('x', { arguments: { 'alternate-exchange': 'ae1' } }));
    expectError(
      () => vhost.declareExchange(exchangeReq('x', { arguments: { 'alternate-exchange': 'ae2' } })),
      ReplyCode.PreconditionFailed,
      "PRECONDITION_FAILED - inequivalent arg 'alternate-exchange' for exchange 'x' in vhost '/': received 'ae2' but current is 'ae1'",
    );
    expectError(
      () => vhost.declareExchange(exchangeReq('x')),
      ReplyCode.PreconditionFailed,
      "PRECONDITION_FAILED - inequivalent arg 'alternate-exchange' for exchange 'x' in vhost '/': received none but current is the value 'ae1' of type 'longstr'",
    );
  });

  test('other exchange arguments are not compared', () => {
    const { vhost } = setup();
    const x = vhost.declareExchange(exchangeReq('x', { arguments: { foo: 1 } }));
    expect(vhost.declareExchange(exchangeReq('x', { arguments: { foo: 2 } }))).toBe(x);
  });
});

describe('VirtualHost: default exchange protections', () => {
  test('declaring the default exchange is refused; passive declare finds it', () => {
    const { vhost } = setup();
    expectError(
      () => vhost.declareExchange(exchangeReq('')),
      ReplyCode.AccessRefused,
      'ACCESS_REFUSED - operation not permitted on the default exchange',
    );
    expect(vhost.declareExchange(exchangeReq('', { passive: true })).name).toBe('');
  });

  test('deleting, binding to and binding from the default exchange are refused', () => {
    const { vhost } = setup();
    vhost.declareQueue(queueReq('q'), CONN_A);
    vhost.declareExchange(exchangeReq('x'));
    const text = 'ACCESS_REFUSED - operation not permitted on the default exchange';
    expectError(() => vhost.deleteExchange('', false), ReplyCode.AccessRefused, text);
    expectError(() => vhost.bindQueue('q', '', 'q', {}, CONN_A), ReplyCode.AccessRefused, text);
    expectError(() => vhost.unbindQueue('q', '', 'q', {}, CONN_A), ReplyCode.AccessRefused, text);
    expectError(() => vhost.bindExchange('x', '', 'k', {}), ReplyCode.AccessRefused, text);
    expectError(() => vhost.bindExchange('', 'x', 'k', {}), ReplyCode.AccessRefused, text);
    expect(vhost.exchanges.has('')).toBe(true);
  });

  test('system exchanges cannot be deleted', () => {
    const { vhost } = setup();
    expectError(
      () => vhost.deleteExchange('amq.topic', false),
      ReplyCode.AccessRefused,
      "ACCESS_REFUSED - deletion of system exchange 'amq.topic' in vhost '/' not allowed",
    );
    expect(vhost.exchanges.has('amq.topic')).toBe(true);
  });
});

describe('VirtualHost: exchange.delete', () => {
  test('if-unused refuses an exchange with bindings; delete of a missing exchange is a no-op', () => {
    const { vhost } = setup();
    vhost.declareExchange(exchangeReq('x'));
    vhost.declareQueue(queueReq('q'), CONN_A);
    vhost.bindQueue('q', 'x', 'k', {}, CONN_A);
    expectError(
      () => vhost.deleteExchange('x', true),
      ReplyCode.PreconditionFailed,
      "PRECONDITION_FAILED - exchange 'x' in vhost '/' in use",
    );
    vhost.deleteExchange('x', false);
    expect(vhost.exchanges.has('x')).toBe(false);
    expect(vhost.bindings.all()).toEqual([]);
    expect(() => vhost.deleteExchange('x', false)).not.toThrow();
  });
});

describe('VirtualHost: queue.declare', () => {
  test('declare, equivalent re-declare and passive declare return the same queue', () => {
    const { vhost } = setup();
    const q = vhost.declareQueue(queueReq('q', { durable: true }), CONN_A);
    expect(vhost.declareQueue(queueReq('q', { durable: true }), CONN_B)).toBe(q);
    expect(vhost.declareQueue(queueReq('q', { passive: true }), CONN_B)).toBe(q);
  });

  test('an empty name generates amq.gen-... names, different each time', () => {
    const { vhost } = setup();
    const a = vhost.declareQueue(queueReq(''), CONN_A);
    const b = vhost.declareQueue(queueReq(''), CONN_A);
    expect(a.name).toMatch(/^amq\.gen-[A-Za-z0-9_-]{22}$/);
    expect(b.name).not.toBe(a.name);
    // Like RabbitMQ, a client may not name a queue amq.*, even the server-named one it got back.
    expectError(
      () => vhost.declareQueue(queueReq(a.name), CONN_A),
      ReplyCode.AccessRefused,
      `ACCESS_REFUSED - queue name '${a.name}' contains reserved prefix 'amq.*'`,
    );
    expect(vhost.declareQueue(queueReq(a.name, { passive: true }), CONN_A)).toBe(a);
  });

  test('passive declare of a missing queue is 404', () => {
    const { vhost } = setup();
    expectError(
      () => vhost.declareQueue(queueReq('nope', { passive: true }), CONN_A),
      ReplyCode.NotFound,
      "NOT_FOUND - no queue 'nope' in vhost '/'",
    );
  });

  test('amq.* queue names are reserved', () => {
    const { vhost } = setup();
    expectError(
      () => vhost.declareQueue(queueReq('amq.q'), CONN_A),
      ReplyCode.AccessRefused,
      "ACCESS_REFUSED - queue name 'amq.q' contains reserved prefix 'amq.*'",
    );
  });

  test.each([
    ['durable', { durable: true }, "received 'true' but current is 'false'"],
    ['auto_delete', { autoDelete: true }, "received 'true' but current is 'false'"],
  ] as const)('inequivalent %s is 406', (field, overrides, detail) => {
    const { vhost } = setup();
    vhost.declareQueue(queueReq('q'), CONN_A);
    expectError(
      () => vhost.declareQueue(queueReq('q', overrides), CONN_A),
      ReplyCode.PreconditionFailed,
      `PRECONDITION_FAILED - inequivalent arg '${field}' for queue 'q' in vhost '/': ${detail}`,
    );
  });

  test('checked queue arguments must match; others are ignored', () => {
    const { vhost } = setup();
    const q = vhost.declareQueue(queueReq('q', { arguments: { 'x-max-length': 10, foo: 'a' } }), CONN_A);
    expect(vhost.declareQueue(queueReq('q', { arguments: { 'x-max-length': 10, foo: 'b' } }), CONN_A)).toBe(q);
    expectError(
      () => vhost.declareQueue(queueReq('q', { arguments: { 'x-max-length': 20 } }), CONN_A),
      ReplyCode.PreconditionFailed,
      "PRECONDITION_FAILED - inequivalent arg 'x-max-length' for queue 'q' in vhost '/': received '20' but current is '10'",
    );
    expectError(
      () => vhost.declareQueue(queueReq('q', { arguments: {} }), CONN_A),
      ReplyCode.PreconditionFailed,
      "PRECONDITION_FAILED - inequivalent arg 'x-max-length' for queue 'q' in vhost '/': received none but current is the value '10' of type 'byte'",
    );
  });
});

describe('VirtualHost: exclusive queues', () => {
  const LOCKED =
    "RESOURCE_LOCKED - cannot obtain exclusive access to locked queue 'ex' in vhost '/'. It could be originally " +
    'declared on another connection or the exclusive property value does not match that of the original declaration.';

  test('another connection cannot declare, passively declare, use, bind or delete an exclusive queue', () => {
    const { vhost } = setup();
    const q = vhost.declareQueue(queueReq('ex', { exclusive: true }), CONN_A);
    expect(q.exclusiveOwner).toBe(CONN_A);
    expectError(() => vhost.declareQueue(queueReq('ex', { exclusive: true }), CONN_B), ReplyCode.ResourceLocked, LOCKED);
    expectError(() => vhost.declareQueue(queueReq('ex', { passive: true }), CONN_B), ReplyCode.ResourceLocked, LOCKED);
    expectError(() => vhost.queueFor('ex', CONN_B), ReplyCode.ResourceLocked, LOCKED);
    expectError(() => vhost.bindQueue('ex', 'amq.direct', 'k', {}, CONN_B), ReplyCode.ResourceLocked, LOCKED);
    expectError(() => vhost.deleteQueue('ex', false, false, CONN_B), ReplyCode.ResourceLocked, LOCKED);
    expect(vhost.queues.get('ex')).toBe(q);
  });

  test('the owner may use it; re-declaring without exclusive is locked even for the owner', () => {
    const { vhost } = setup();
    const q = vhost.declareQueue(queueReq('ex', { exclusive: true }), CONN_A);
    expect(vhost.declareQueue(queueReq('ex', { exclusive: true }), CONN_A)).toBe(q);
    expect(vhost.declareQueue(queueReq('ex', { passive: true }), CONN_A)).toBe(q);
    expect(vhost.queueFor('ex', CONN_A)).toBe(q);
    expectError(() => vhost.declareQueue(queueReq('ex'), CONN_A), ReplyCode.ResourceLocked, LOCKED);
  });

  test('declaring an existing non-exclusive queue as exclusive is locked', () => {
    const { vhost } = setup();
    vhost.declareQueue(queueReq('ex'), CONN_A);
    expectError(() => vhost.declareQueue(queueReq('ex', { exclusive: true }), CONN_A), ReplyCode.ResourceLocked, LOCKED);
  });

  test('ownerGone deletes only that owner’s exclusive queues, with their bindings', () => {
    const { vhost } = setup();
    const consumer: QueueConsumer & { cancelled: number } = {
      tag: 't',
      priority: 0,
      noAck: true,
      exclusive: false,
      cancelled: 0,
      canAccept: () => true,
      deliver: () => {},
      cancelledByBroker() {
        this.cancelled++;
      },
    };
    const ex = vhost.declareQueue(queueReq('ex-a', { exclusive: true }), CONN_A);
    ex.addConsumer(consumer);
    vhost.declareQueue(queueReq('ex-b', { exclusive: true }), CONN_B);
    vhost.declareQueue(queueReq('shared'), CONN_A);
    vhost.bindQueue('ex-a', 'amq.fanout', '', {}, CONN_A);
    vhost.ownerGone(CONN_A);
    expect([...vhost.queues.keys()].sort()).toEqual(['ex-b', 'shared']);
    expect(ex.deleted).toBe(true);
    expect(consumer.cancelled).toBe(1);
    expect(vhost.bindings.all()).toEqual([]);
    expect(routeNames(vhost, 'amq.fanout', '')).toEqual([]);
  });
});

describe('VirtualHost: queue.delete', () => {
  test('returns the message count; if-unused and if-empty refuse; missing queue gives 0', () => {
    const { vhost } = setup();
    const q = vhost.declareQueue(queueReq('q'), CONN_A);
    vhost.bindQueue('q', 'amq.direct', 'k', {}, CONN_A);
    q.enqueue({ id: 0, persistent: false, exchange: '', routingKey: 'q', properties: Buffer.from([0, 0]), body: Buffer.from('x'), expiration: -1, headers: undefined });
    q.enqueue({ id: 0, persistent: false, exchange: '', routingKey: 'q', properties: Buffer.from([0, 0]), body: Buffer.from('y'), expiration: -1, headers: undefined });
    expectError(
      () => vhost.deleteQueue('q', false, true, CONN_A),
      ReplyCode.PreconditionFailed,
      "PRECONDITION_FAILED - queue 'q' in vhost '/' not empty",
    );
    const consumer: QueueConsumer = {
      tag: 't',
      priority: 0,
      noAck: false,
      exclusive: false,
      canAccept: () => false,
      deliver: () => {},
      cancelledByBroker: () => {},
    };
    q.addConsumer(consumer);
    expectError(
      () => vhost.deleteQueue('q', true, false, CONN_A),
      ReplyCode.PreconditionFailed,
      "PRECONDITION_FAILED - queue 'q' in vhost '/' in use",
    );
    expect(vhost.deleteQueue('q', false, false, CONN_A)).toBe(2);
    expect(vhost.queues.has('q')).toBe(false);
    expect(vhost.deleteQueue('q', false, false, CONN_A)).toBe(0);
  });

  test('deleting a queue removes its bindings from the table and from routing', () => {
    const { vhost } = setup();
    vhost.declareQueue(queueReq('q1'), CONN_A);
    vhost.declareQueue(queueReq('q2'), CONN_A);
    vhost.bindQueue('q1', 'amq.direct', 'k', {}, CONN_A);
    vhost.bindQueue('q2', 'amq.direct', 'k', {}, CONN_A);
    vhost.bindQueue('q1', 'amq.topic', '#', {}, CONN_A);
    expect(routeNames(vhost, 'amq.direct', 'k')).toEqual(['q1', 'q2']);
    vhost.deleteQueue('q1', false, false, CONN_A);
    expect(routeNames(vhost, 'amq.direct', 'k')).toEqual(['q2']);
    expect(routeNames(vhost, 'amq.topic', 'any')).toEqual([]);
    expect(vhost.bindings.all().map((b) => [b.source.name, b.destination.name])).toEqual([['amq.direct', 'q2']]);
    expect(vhost.exchangeOrDie('amq.direct').sourceBindings).toBe(1);
    expect(vhost.exchangeOrDie('amq.topic').sourceBindings).toBe(0);
  });

  test('an auto-delete queue is deleted when its last consumer leaves', () => {
    const { vhost } = setup();
    const q = vhost.declareQueue(queueReq('ad', { autoDelete: true }), CONN_A);
    vhost.bindQueue('ad', 'amq.direct', 'k', {}, CONN_A);
    const consumer: QueueConsumer = {
      tag: 't',
      priority: 0,
      noAck: true,
      exclusive: false,
      canAccept: () => true,
      deliver: () => {},
      cancelledByBroker: () => {},
    };
    q.addConsumer(consumer);
    q.removeConsumer(consumer);
    expect(vhost.queues.has('ad')).toBe(false);
    expect(vhost.bindings.all()).toEqual([]);
  });
});

describe('VirtualHost: bindings and routing', () => {
  test('the default exchange routes by queue name, without bindings', () => {
    const { vhost } = setup();
    vhost.declareQueue(queueReq('orders'), CONN_A);
    expect(routeNames(vhost, '', 'orders')).toEqual(['orders']);
    expect(routeNames(vhost, '', 'other')).toEqual([]);
  });

  test('binding to a missing exchange or queue is 404', () => {
    const { vhost } = setup();
    vhost.declareQueue(queueReq('q'), CONN_A);
    expectError(
      () => vhost.bindQueue('q', 'nope', 'k', {}, CONN_A),
      ReplyCode.NotFound,
      "NOT_FOUND - no exchange 'nope' in vhost '/'",
    );
    expectError(
      () => vhost.bindQueue('nope', 'amq.direct', 'k', {}, CONN_A),
      ReplyCode.NotFound,
      "NOT_FOUND - no queue 'nope' in vhost '/'",
    );
  });

  test('a duplicate binding is ignored; unbind removes it', () => {
    const { vhost } = setup();
    vhost.declareQueue(queueReq('q'), CONN_A);
    vhost.bindQueue('q', 'amq.direct', 'k', {}, CONN_A);
    vhost.bindQueue('q', 'amq.direct', 'k', {}, CONN_A);
    expect(vhost.exchangeOrDie('amq.direct').sourceBindings).toBe(1);
    expect(routeNames(vhost, 'amq.direct', 'k')).toEqual(['q']);
    vhost.unbindQueue('q', 'amq.direct', 'k', {}, CONN_A);
    expect(routeNames(vhost, 'amq.direct', 'k')).toEqual([]);
    expect(vhost.exchangeOrDie('amq.direct').sourceBindings).toBe(0);
    // Unbinding again is a no-op.
    expect(() => vhost.unbindQueue('q', 'amq.direct', 'k', {}, CONN_A)).not.toThrow();
  });

  test('invalid headers binding arguments are 406', () => {
    const { vhost } = setup();
    vhost.declareQueue(queueReq('q'), CONN_A);
    const err = caught(() => vhost.bindQueue('q', 'amq.headers', '', { 'x-match': 'some' }, CONN_A));
    expect(err.replyCode).toBe(ReplyCode.PreconditionFailed);
    expect(vhost.exchangeOrDie('amq.headers').sourceBindings).toBe(0);
  });

  test('headers exchange routing sees the subject headers', () => {
    const { vhost } = setup();
    vhost.declareQueue(queueReq('q'), CONN_A);
    vhost.bindQueue('q', 'amq.match', '', { 'x-match': 'all', a: 1 }, CONN_A);
    expect(routeNames(vhost, 'amq.match', '', { a: 1 })).toEqual(['q']);
    expect(routeNames(vhost, 'amq.match', '', { a: 2 })).toEqual([]);
    expect(routeNames(vhost, 'amq.match', '')).toEqual([]);
  });

  test('an exchange routes through other exchanges only while it has bindings to them (the count follows every path)', () => {
    const { vhost } = setup();
    vhost.declareExchange(exchangeReq('src', { type: 'topic' }));
    vhost.declareExchange(exchangeReq('dst', { type: 'fanout' }));
    vhost.declareQueue(queueReq('direct-q'), CONN_A);
    vhost.declareQueue(queueReq('via-q'), CONN_A);
    vhost.bindQueue('direct-q', 'src', 'a.*', {}, CONN_A);
    vhost.bindQueue('via-q', 'dst', '', {}, CONN_A);
    const src = vhost.exchangeOrDie('src');
    expect(routeNames(vhost, 'src', 'a.b')).toEqual(['direct-q']);
    vhost.bindExchange('dst', 'src', '#', {});
    vhost.bindExchange('dst', 'src', '#', {}); // a duplicate counts once
    expect(src.exchangeBindings).toBe(1);
    expect(routeNames(vhost, 'src', 'a.b').sort()).toEqual(['direct-q', 'via-q']);
    expect(routeNames(vhost, 'src', 'z')).toEqual(['via-q']);
    vhost.unbindExchange('dst', 'src', '#', {});
    expect(src.exchangeBindings).toBe(0);
    expect(routeNames(vhost, 'src', 'z')).toEqual([]);
    vhost.bindExchange('dst', 'src', '#', {});
    vhost.deleteExchange('dst', false); // the binding to it goes with it
    expect(src.exchangeBindings).toBe(0);
    expect(routeNames(vhost, 'src', 'a.b')).toEqual(['direct-q']);
  });

  test('exchange-to-exchange bindings route through, a cycle terminates, queues are de-duplicated', () => {
    const { vhost } = setup();
    vhost.declareExchange(exchangeReq('e1', { type: 'fanout' }));
    vhost.declareExchange(exchangeReq('e2', { type: 'fanout' }));
    vhost.declareExchange(exchangeReq('e3', { type: 'direct' }));
    vhost.declareQueue(queueReq('q1'), CONN_A);
    vhost.declareQueue(queueReq('q3'), CONN_A);
    vhost.bindExchange('e2', 'e1', '', {}); // e1 -> e2
    vhost.bindExchange('e1', 'e2', '', {}); // e2 -> e1: a cycle
    vhost.bindExchange('e3', 'e2', '', {}); // e2 -> e3
    vhost.bindQueue('q1', 'e1', '', {}, CONN_A);
    vhost.bindQueue('q1', 'e2', '', {}, CONN_A);
    vhost.bindQueue('q3', 'e3', 'k', {}, CONN_A);
    expect(routeNames(vhost, 'e1', 'k')).toEqual(['q1', 'q3']);
    expect(routeNames(vhost, 'e2', 'other')).toEqual(['q1']);
    vhost.unbindExchange('e3', 'e2', '', {});
    expect(routeNames(vhost, 'e1', 'k')).toEqual(['q1']);
  });

  test('an alternate exchange receives what the exchange cannot route', () => {
    const { vhost } = setup();
    vhost.declareExchange(exchangeReq('ae', { type: 'fanout' }));
    vhost.declareExchange(exchangeReq('main', { arguments: { 'alternate-exchange': 'ae' } }));
    vhost.declareQueue(queueReq('routed'), CONN_A);
    vhost.declareQueue(queueReq('unrouted'), CONN_A);
    vhost.bindQueue('routed', 'main', 'k', {}, CONN_A);
    vhost.bindQueue('unrouted', 'ae', '', {}, CONN_A);
    expect(routeNames(vhost, 'main', 'k')).toEqual(['routed']);
    expect(routeNames(vhost, 'main', 'other')).toEqual(['unrouted']);
  });

  test('an auto-delete exchange is removed with its last binding, and that cascades', () => {
    const { vhost } = setup();
    vhost.declareExchange(exchangeReq('ad', { type: 'fanout', autoDelete: true }));
    vhost.declareExchange(exchangeReq('src', { type: 'fanout' }));
    vhost.declareQueue(queueReq('q1'), CONN_A);
    vhost.declareQueue(queueReq('q2'), CONN_A);
    vhost.bindQueue('q1', 'ad', '', {}, CONN_A);
    vhost.bindQueue('q2', 'ad', '', {}, CONN_A);
    vhost.bindExchange('ad', 'src', '', {});
    expect(routeNames(vhost, 'src', '')).toEqual(['q1', 'q2']);
    vhost.unbindQueue('q1', 'ad', '', {}, CONN_A);
    expect(vhost.exchanges.has('ad')).toBe(true);
    vhost.deleteQueue('q2', false, false, CONN_A);
    const ad = vhost.exchanges.get('ad');
    expect(ad).toBeUndefined();
    // The binding src -> ad went with it.
    expect(vhost.exchangeOrDie('src').sourceBindings).toBe(0);
    expect(vhost.bindings.all()).toEqual([]);
    expect(routeNames(vhost, 'src', '')).toEqual([]);
  });

  test('an auto-delete exchange that never had a binding stays', () => {
    const { vhost } = setup();
    vhost.declareExchange(exchangeReq('ad', { autoDelete: true }));
    expect(vhost.exchanges.has('ad')).toBe(true);
  });
});

describe('VirtualHost: durability', () => {
  test('durable exchanges, queues and bindings between durable ends go to the store', () => {
    const { vhost, store } = setup();
    vhost.declareExchange(exchangeReq('dx', { type: 'topic', durable: true, arguments: { 'alternate-exchange': 'ae' } }));
    vhost.declareExchange(exchangeReq('tx'));
    vhost.declareQueue(queueReq('dq', { durable: true, arguments: { 'x-max-length': 5 } }), CONN_A);
    vhost.declareQueue(queueReq('tq'), CONN_A);
    vhost.bindQueue('dq', 'dx', 'a.#', {}, CONN_A);
    vhost.bindQueue('tq', 'dx', 'a.#', {}, CONN_A);
    vhost.bindQueue('dq', 'tx', 'k', {}, CONN_A);
    vhost.bindQueue('dq', 'amq.direct', 'dq', {}, CONN_A);
    expect(store.loadDefinitions()).toEqual({
      exchanges: [
        {
          vhost: '/',
          name: 'dx',
          type: 'topic',
          durable: true,
          autoDelete: false,
          internal: false,
          arguments: { 'alternate-exchange': 'ae' },
        },
      ],
      queues: [{ id: 1, vhost: '/', name: 'dq', durable: true, autoDelete: false, arguments: { 'x-max-length': 5 } }],
      bindings: [
        { vhost: '/', source: 'dx', destination: 'dq', destinationKind: 'queue', routingKey: 'a.#', arguments: {} },
        { vhost: '/', source: 'amq.direct', destination: 'dq', destinationKind: 'queue', routingKey: 'dq', arguments: {} },
      ],
    });
  });

  test('unbind, queue delete and exchange delete remove durable records', () => {
    const { vhost, store } = setup();
    vhost.declareExchange(exchangeReq('dx', { type: 'fanout', durable: true }));
    vhost.declareExchange(exchangeReq('dy', { type: 'fanout', durable: true }));
    vhost.declareQueue(queueReq('dq', { durable: true }), CONN_A);
    vhost.bindQueue('dq', 'dx', '', {}, CONN_A);
    vhost.bindExchange('dy', 'dx', '', {});
    expect(store.loadDefinitions().bindings).toHaveLength(2);
    vhost.unbindQueue('dq', 'dx', '', {}, CONN_A);
    expect(store.loadDefinitions().bindings.map((b) => b.destination)).toEqual(['dy']);
    vhost.deleteExchange('dy', false);
    vhost.deleteQueue('dq', false, false, CONN_A);
    expect(store.loadDefinitions()).toEqual({
      exchanges: [expect.objectContaining({ name: 'dx' })],
      queues: [],
      bindings: [],
    });
  });

  test('an exclusive queue is never stored, even when declared durable, nor are its bindings', () => {
    const { vhost, store } = setup();
    vhost.declareQueue(queueReq('ex', { durable: true, exclusive: true }), CONN_A);
    vhost.bindQueue('ex', 'amq.topic', '#', {}, CONN_A);
    expect(store.loadDefinitions()).toEqual({ exchanges: [], queues: [], bindings: [] });
  });

  test('ownerGone leaves the store without the exclusive queue', () => {
    const { vhost, store } = setup();
    vhost.declareQueue(queueReq('ex', { durable: true, exclusive: true }), CONN_A);
    vhost.declareQueue(queueReq('dq', { durable: true }), CONN_A);
    vhost.ownerGone(CONN_A);
    expect(store.loadDefinitions().queues.map((q) => q.name)).toEqual(['dq']);
    expect(vhost.queues.has('dq')).toBe(true);
  });
});
