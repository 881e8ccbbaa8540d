import { ReplyCode } from '../protocol/generated/amqp';
import type { QueueConsumer } from '../queue/consumer';
import { CONN_A, CONN_B, expectError, queueReq, setup } from './test-support/declare';
import { routeNames } from './test-support/routing';

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
