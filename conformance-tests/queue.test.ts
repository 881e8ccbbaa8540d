/**
 * queue class: declare (server-named, passive, equivalence, exclusive, auto-delete), bind/unbind, purge, delete.
 */
import { Reply } from './support/codes';
import {
  channel,
  cleanup,
  connect,
  delay,
  drain,
  eventually,
  expectChannelClose,
  Inbox,
  open,
  setupBroker,
  uniqueName,
  waitForReady,
  waitUntilQueueGone,
} from './support/broker';

const broker = setupBroker();

describe('queue', () => {
  test('queue.declare with an empty name creates a server-named queue amq.gen-... (RabbitMQ: server-named queues)', async () => {
    const { ch } = await open(broker.url);
    const a = await ch.assertQueue('', { exclusive: true });
    const b = await ch.assertQueue('', { exclusive: true });
    expect(a.queue).toMatch(/^amq\.gen-[A-Za-z0-9_-]{22}$/);
    expect(b.queue).toMatch(/^amq\.gen-/);
    expect(a.queue).not.toBe(b.queue);
    expect(a.messageCount).toBe(0);
    expect(a.consumerCount).toBe(0);
  });

  test('queue.declare-ok reports message_count and consumer_count of an existing queue (spec: queue.declare-ok)', async () => {
    const { ch } = await open(broker.url);
    const q = cleanup.queue(uniqueName('q'));
    await ch.assertQueue(q, { durable: false });
    ch.sendToQueue(q, Buffer.from('1'));
    ch.sendToQueue(q, Buffer.from('2'));
    ch.sendToQueue(q, Buffer.from('3'));
    await waitForReady(ch, q, 3);
    const again = await ch.assertQueue(q, { durable: false });
    expect(again).toEqual({ queue: q, messageCount: 3, consumerCount: 0 });
    const { ch: other } = await open(broker.url);
    await other.consume(q, () => undefined, { noAck: false });
    // the consumer holds all three unacked; ready count drops to 0
    const withConsumer = await eventually(async () => {
      const r = await ch.checkQueue(q);
      return r.consumerCount === 1 && r.messageCount === 0 ? r : undefined;
    });
    expect(withConsumer).toEqual({ queue: q, messageCount: 0, consumerCount: 1 });
  });

  test('queue.declare passive on a missing queue closes the channel with 404 NOT_FOUND (spec: queue.declare passive)', async () => {
    const { ch } = await open(broker.url);
    const q = uniqueName('missing');
    await expectChannelClose(ch, () => ch.checkQueue(q), Reply.NOT_FOUND, `NOT_FOUND - no queue '${q}' in vhost '/'`);
  });

  test('queue.declare passive on an existing queue returns its counts without changing it', async () => {
    const { ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true });
    ch.sendToQueue(q.queue, Buffer.from('x'));
    await waitForReady(ch, q.queue, 1);
    expect(await ch.checkQueue(q.queue)).toEqual({ queue: q.queue, messageCount: 1, consumerCount: 0 });
  });

  test('queue.declare with different durable closes the channel with 406 and RabbitMQ\'s inequivalent-arg text (spec: queue.declare equivalence)', async () => {
    const { conn, ch } = await open(broker.url);
    const q = cleanup.queue(uniqueName('q'));
    await ch.assertQueue(q, { durable: false });
    await expectChannelClose(
      ch,
      () => ch.assertQueue(q, { durable: true }),
      Reply.PRECONDITION_FAILED,
      `PRECONDITION_FAILED - inequivalent arg 'durable' for queue '${q}' in vhost '/': received 'true' but current is 'false'`,
    );
    // the queue is untouched
    const ch2 = await channel(conn);
    expect((await ch2.checkQueue(q)).queue).toBe(q);
  });

  test('queue.declare with different auto_delete closes the channel with 406 inequivalent arg \'auto_delete\'', async () => {
    const { ch } = await open(broker.url);
    const q = cleanup.queue(uniqueName('q'));
    await ch.assertQueue(q, { durable: false, autoDelete: false });
    await expectChannelClose(
      ch,
      () => ch.assertQueue(q, { durable: false, autoDelete: true }),
      Reply.PRECONDITION_FAILED,
      `PRECONDITION_FAILED - inequivalent arg 'auto_delete' for queue '${q}' in vhost '/': received 'true' but current is 'false'`,
    );
  });

  test('queue.declare with a different x-message-ttl argument closes the channel with 406 inequivalent arg', async () => {
    const { ch } = await open(broker.url);
    const q = cleanup.queue(uniqueName('q'));
    await ch.assertQueue(q, { durable: false, messageTtl: 1000 });
    await expectChannelClose(
      ch,
      () => ch.assertQueue(q, { durable: false, messageTtl: 2000 }),
      Reply.PRECONDITION_FAILED,
      `PRECONDITION_FAILED - inequivalent arg 'x-message-ttl' for queue '${q}' in vhost '/': received '2000' but current is '1000'`,
    );
  });

  test('queue.declare of a name starting amq. is refused with 403 ACCESS_REFUSED (spec: queue.declare queue name reserved prefix)', async () => {
    const { ch } = await open(broker.url);
    const q = `amq.${uniqueName('q')}`;
    await expectChannelClose(
      ch,
      () => ch.assertQueue(q, { durable: false }),
      Reply.ACCESS_REFUSED,
      `ACCESS_REFUSED - queue name '${q}' contains reserved prefix 'amq.*'`,
    );
  });

  test('re-declaring a server-named queue by its amq.gen- name is refused like any amq. name (RabbitMQ: name check before lookup)', async () => {
    const { ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true });
    await expectChannelClose(
      ch,
      () => ch.assertQueue(q.queue, { exclusive: true }),
      Reply.ACCESS_REFUSED,
      `ACCESS_REFUSED - queue name '${q.queue}' contains reserved prefix 'amq.*'`,
    );
  });

  test('an exclusive queue used from another connection closes that channel with 405 RESOURCE_LOCKED (spec: queue.declare exclusive)', async () => {
    const { ch } = await open(broker.url);
    const q = uniqueName('excl');
    await ch.assertQueue(q, { exclusive: true, durable: false });
    const { ch: other } = await open(broker.url);
    await expectChannelClose(
      other,
      () => other.assertQueue(q, { exclusive: true, durable: false }),
      Reply.RESOURCE_LOCKED,
      `RESOURCE_LOCKED - cannot obtain exclusive access to locked queue '${q}' in vhost '/'. It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.`,
    );
    const { ch: third } = await open(broker.url);
    await expectChannelClose(
      third,
      () => third.consume(q, () => undefined),
      Reply.RESOURCE_LOCKED,
      `RESOURCE_LOCKED - cannot obtain exclusive access to locked queue '${q}' in vhost '/'. It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.`,
    );
  });

  test('an exclusive queue may be used by every channel of its own connection', async () => {
    const conn = await connect(broker.url);
    const ch1 = await channel(conn);
    const ch2 = await channel(conn);
    const q = await ch1.assertQueue('', { exclusive: true });
    ch2.sendToQueue(q.queue, Buffer.from('hi'));
    await waitForReady(ch2, q.queue, 1);
    const got = await ch2.get(q.queue, { noAck: true });
    expect(got && got.content.toString()).toBe('hi');
  });

  test('an exclusive queue is deleted when its declaring connection closes (spec: queue.declare exclusive)', async () => {
    const conn = await connect(broker.url);
    const ch = await channel(conn);
    const q = uniqueName('excl');
    await ch.assertQueue(q, { exclusive: true, durable: false });
    await conn.close();
    await waitUntilQueueGone(broker.url, q);
  });

  test('an auto-delete queue is deleted when its last consumer cancels (spec: queue.declare auto-delete)', async () => {
    const { ch } = await open(broker.url);
    const q = cleanup.queue(uniqueName('ad'));
    await ch.assertQueue(q, { autoDelete: true, durable: false });
    const c1 = await ch.consume(q, () => undefined);
    const c2 = await ch.consume(q, () => undefined);
    await ch.cancel(c1.consumerTag);
    // one consumer left: still there
    expect((await ch.checkQueue(q)).consumerCount).toBe(1);
    await ch.cancel(c2.consumerTag);
    await waitUntilQueueGone(broker.url, q);
  });

  test('an auto-delete queue that never had a consumer is not deleted (spec: queue.declare auto-delete)', async () => {
    const { ch } = await open(broker.url);
    const q = cleanup.queue(uniqueName('ad'));
    await ch.assertQueue(q, { autoDelete: true, durable: false });
    await delay(50);
    expect((await ch.checkQueue(q)).queue).toBe(q);
  });

  test('queue.bind to a missing exchange closes the channel with 404 NOT_FOUND (spec: queue.bind)', async () => {
    const { ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true });
    const x = uniqueName('nox');
    await expectChannelClose(ch, () => ch.bindQueue(q.queue, x, 'rk'), Reply.NOT_FOUND, `NOT_FOUND - no exchange '${x}' in vhost '/'`);
  });

  test('queue.bind of a missing queue closes the channel with 404 NOT_FOUND (spec: queue.bind)', async () => {
    const { ch } = await open(broker.url);
    const q = uniqueName('noq');
    await expectChannelClose(ch, () => ch.bindQueue(q, 'amq.direct', 'rk'), Reply.NOT_FOUND, `NOT_FOUND - no queue '${q}' in vhost '/'`);
  });

  test('queue.bind is idempotent: binding twice routes one copy (spec: queue.bind)', async () => {
    const { ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(q.queue, 'amq.direct', 'k1');
    await ch.bindQueue(q.queue, 'amq.direct', 'k1');
    ch.publish('amq.direct', 'k1', Buffer.from('once'));
    await waitForReady(ch, q.queue, 1);
    expect(await drain(ch, q.queue)).toEqual(['once']);
  });

  test('queue.unbind stops routing through that binding; unbinding a missing binding succeeds (spec: queue.unbind)', async () => {
    const { ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(q.queue, 'amq.direct', 'a');
    await ch.bindQueue(q.queue, 'amq.direct', 'b');
    await ch.unbindQueue(q.queue, 'amq.direct', 'a');
    await ch.unbindQueue(q.queue, 'amq.direct', 'never-bound');
    ch.publish('amq.direct', 'a', Buffer.from('via-a'));
    ch.publish('amq.direct', 'b', Buffer.from('via-b'));
    await waitForReady(ch, q.queue, 1);
    await delay(30);
    expect(await drain(ch, q.queue)).toEqual(['via-b']);
  });

  test('every queue is bound to the default exchange by its name (spec: default exchange)', async () => {
    const { ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true });
    ch.publish('', q.queue, Buffer.from('direct-to-queue'));
    await waitForReady(ch, q.queue, 1);
    expect(await drain(ch, q.queue)).toEqual(['direct-to-queue']);
  });

  test('queue.purge removes ready messages and returns how many (spec: queue.purge-ok message-count)', async () => {
    const { ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true });
    for (let i = 0; i < 5; i++) ch.sendToQueue(q.queue, Buffer.from(String(i)));
    await waitForReady(ch, q.queue, 5);
    expect(await ch.purgeQueue(q.queue)).toEqual({ messageCount: 5 });
    expect(await ch.checkQueue(q.queue)).toEqual({ queue: q.queue, messageCount: 0, consumerCount: 0 });
    expect(await ch.purgeQueue(q.queue)).toEqual({ messageCount: 0 });
  });

  test('queue.purge does not remove messages delivered but not yet acked (spec: queue.purge)', async () => {
    const { ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true });
    ch.sendToQueue(q.queue, Buffer.from('a'));
    ch.sendToQueue(q.queue, Buffer.from('b'));
    await waitForReady(ch, q.queue, 2);
    const held = await ch.get(q.queue, { noAck: false });
    expect(held).not.toBe(false);
    expect(await ch.purgeQueue(q.queue)).toEqual({ messageCount: 1 });
    if (held) ch.nack(held, false, true);
    await waitForReady(ch, q.queue, 1);
    expect(await drain(ch, q.queue)).toEqual(['a']);
  });

  test('queue.purge of a missing queue closes the channel with 404 NOT_FOUND', async () => {
    const { ch } = await open(broker.url);
    const q = uniqueName('noq');
    await expectChannelClose(ch, () => ch.purgeQueue(q), Reply.NOT_FOUND, `NOT_FOUND - no queue '${q}' in vhost '/'`);
  });

  test('queue.delete returns the number of messages deleted with it (spec: queue.delete-ok message-count)', async () => {
    const { ch } = await open(broker.url);
    const q = cleanup.queue(uniqueName('q'));
    await ch.assertQueue(q, { durable: false });
    for (let i = 0; i < 4; i++) ch.sendToQueue(q, Buffer.from(String(i)));
    await waitForReady(ch, q, 4);
    expect(await ch.deleteQueue(q)).toEqual({ messageCount: 4 });
  });

  test('queue.delete of a missing queue succeeds with message_count 0 (RabbitMQ: delete is idempotent)', async () => {
    const { ch } = await open(broker.url);
    expect(await ch.deleteQueue(uniqueName('noq'))).toEqual({ messageCount: 0 });
  });

  test('queue.delete if-unused on a queue with a consumer closes the channel with 406 (spec: queue.delete if-unused)', async () => {
    const { conn, ch } = await open(broker.url);
    const q = cleanup.queue(uniqueName('q'));
    await ch.assertQueue(q, { durable: false });
    await ch.consume(q, () => undefined);
    const ch2 = await channel(conn);
    await expectChannelClose(ch2, () => ch2.deleteQueue(q, { ifUnused: true }), Reply.PRECONDITION_FAILED, `PRECONDITION_FAILED - queue '${q}' in vhost '/' in use`);
    expect((await ch.checkQueue(q)).consumerCount).toBe(1);
  });

  test('queue.delete if-empty on a queue with messages closes the channel with 406 (spec: queue.delete if-empty)', async () => {
    const { conn, ch } = await open(broker.url);
    const q = cleanup.queue(uniqueName('q'));
    await ch.assertQueue(q, { durable: false });
    ch.sendToQueue(q, Buffer.from('x'));
    await waitForReady(ch, q, 1);
    const ch2 = await channel(conn);
    await expectChannelClose(ch2, () => ch2.deleteQueue(q, { ifEmpty: true }), Reply.PRECONDITION_FAILED, `PRECONDITION_FAILED - queue '${q}' in vhost '/' not empty`);
    expect((await ch.checkQueue(q)).messageCount).toBe(1);
  });

  test('queue.delete if-unused and if-empty succeed on an idle empty queue', async () => {
    const { ch } = await open(broker.url);
    const q = cleanup.queue(uniqueName('q'));
    await ch.assertQueue(q, { durable: false });
    expect(await ch.deleteQueue(q, { ifUnused: true, ifEmpty: true })).toEqual({ messageCount: 0 });
  });

  test('a deleted queue loses its bindings: re-declared, it gets nothing until re-bound (spec: queue.delete)', async () => {
    const { ch } = await open(broker.url);
    const q = cleanup.queue(uniqueName('q'));
    await ch.assertQueue(q, { durable: false });
    await ch.bindQueue(q, 'amq.fanout', '');
    await ch.deleteQueue(q);
    await ch.assertQueue(q, { durable: false });
    ch.publish('amq.fanout', '', Buffer.from('fan'));
    ch.sendToQueue(q, Buffer.from('direct'));
    await waitForReady(ch, q, 1);
    await delay(30);
    expect(await drain(ch, q)).toEqual(['direct']);
  });

  test('the channel stays usable after a successful sequence of queue methods', async () => {
    const { ch } = await open(broker.url);
    const inbox = new Inbox();
    const q = await ch.assertQueue('', { exclusive: true });
    await ch.consume(q.queue, inbox.onMessage, { noAck: true });
    ch.sendToQueue(q.queue, Buffer.from('ok'));
    await inbox.waitFor(1);
    expect(inbox.bodies()).toEqual(['ok']);
  });

  test('a passive declare of another connection\'s exclusive queue closes the channel with 405 RESOURCE_LOCKED', async () => {
    const { ch } = await open(broker.url);
    const q = uniqueName('excl');
    await ch.assertQueue(q, { exclusive: true, durable: false });
    const { ch: other } = await open(broker.url);
    await expectChannelClose(
      other,
      () => other.checkQueue(q),
      Reply.RESOURCE_LOCKED,
      `RESOURCE_LOCKED - cannot obtain exclusive access to locked queue '${q}' in vhost '/'. It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.`,
    );
  });
});

