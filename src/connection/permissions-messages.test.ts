/**
 * Access control over AMQP: a real Connection driven over an in-memory socket pair, wired to an AccessControl and a
 * VhostRegistry the way broker.ts wires them. Each channel method checks configure/write/read as RabbitMQ does and
 * refuses with a 403 channel.close naming the method.
 *
 * Here: basic.publish (write on the exchange, the default exchange as 'amq.default'), reading from queues (read on
 * the queue: consume, get, purge), and the check coming before the lookup (403, not 404).
 */
import { MethodId, ReplyCode, encodeMethodFrame } from '../protocol/generated/amqp';
import { PermissionsBroker, by, perm, seed } from './test-support/brokers';
import { basicConsume, queueDeclare, queuePurge, refused } from './test-support/frames';
import { ELSEWHERE, basicGet, publish, queueDelete, settle } from './test-support/harness';

describe('Permissions: basic.publish (write on the exchange)', () => {
  test('publishing to an exchange without write is 403 (basic.publish) and nothing is routed', async () => {
    const broker = new PermissionsBroker();
    seed(broker.root);
    broker.root.bindQueue('mine-q', 'other-x', 'rk', {}, ELSEWHERE);
    const c = broker.connect('limited');
    await c.ready();
    expect(await c.call(...publish(1, 'other-x', 'rk'))).toEqual([refused(MethodId.BasicPublish, by('limited', "access to exchange 'other-x'"))]);
    expect(broker.root.queueOrDie('mine-q').messageCount).toBe(0);
    await c.finish();
  });

  test('allowed publish routes; a refusal is not remembered as allowed on a later channel', async () => {
    const broker = new PermissionsBroker();
    seed(broker.root);
    broker.root.bindQueue('mine-q', 'mine-x', 'rk', {}, ELSEWHERE);
    const c = broker.connect('limited');
    await c.ready();
    expect(await c.call(...publish(1, 'mine-x', 'rk'), ...publish(1, 'mine-x', 'rk'))).toEqual([]);
    expect(broker.root.queueOrDie('mine-q').messageCount).toBe(2);
    await c.call(encodeMethodFrame(2, MethodId.ChannelOpen, {}), encodeMethodFrame(3, MethodId.ChannelOpen, {}));
    expect(await c.call(...publish(2, 'amq.direct', 'rk'))).toEqual([refused(MethodId.BasicPublish, by('limited', "access to exchange 'amq.direct'"), 2)]);
    expect(await c.call(...publish(3, 'amq.direct', 'rk'))).toEqual([refused(MethodId.BasicPublish, by('limited', "access to exchange 'amq.direct'"), 3)]);
    await c.finish();
  });

  test('a write permission narrowed while a channel publishes applies to its very next publish; a deleted user is disconnected', async () => {
    const broker = new PermissionsBroker();
    seed(broker.root);
    broker.root.bindQueue('mine-q', 'mine-x', 'rk', {}, ELSEWHERE);
    const c = broker.connect('limited');
    await c.ready();
    expect(await c.call(...publish(1, 'mine-x', 'rk'))).toEqual([]);
    broker.access.setPermission(perm('limited', '/', '.*', '^nothing$', '.*'));
    expect(await c.call(...publish(1, 'mine-x', 'rk'))).toEqual([refused(MethodId.BasicPublish, by('limited', "access to exchange 'mine-x'"))]);
    expect(broker.root.queueOrDie('mine-q').messageCount).toBe(1);
    broker.access.deleteUser('limited');
    await settle();
    expect(c.newFrames()).toEqual([
      { channel: 0, method: 'connection.close', args: { replyCode: 320, replyText: "CONNECTION_FORCED - user 'limited' is deleted", classId: 0, methodId: 0 } },
    ]);
  });

  test("the default exchange is checked as 'amq.default': allowed when write matches it", async () => {
    const broker = new PermissionsBroker();
    seed(broker.root);
    const c = broker.connect('limited');
    await c.ready();
    // Only the exchange is checked on publish, not the queue it routes to (RabbitMQ).
    expect(await c.call(...publish(1, '', 'other-q'))).toEqual([]);
    expect(broker.root.queueOrDie('other-q').messageCount).toBe(1);
    await c.finish();
  });

  test("the default exchange is checked as 'amq.default': refused with that name when write does not match it", async () => {
    const broker = new PermissionsBroker();
    seed(broker.root);
    const c = broker.connect('nodefault');
    await c.ready();
    expect(await c.call(...publish(1, '', 'mine-q'))).toEqual([refused(MethodId.BasicPublish, by('nodefault', "access to exchange 'amq.default'"))]);
    expect(broker.root.queueOrDie('mine-q').messageCount).toBe(0);
    await c.finish();
  });
});

describe('Permissions: reading from queues (read on the queue)', () => {
  test('basic.consume: allowed consumes; refused is 403 (basic.consume) and adds no consumer', async () => {
    const broker = new PermissionsBroker();
    seed(broker.root);
    const c = broker.connect('limited');
    await c.ready();
    expect(await c.call(basicConsume(1, 'mine-q'))).toEqual([{ channel: 1, method: 'basic.consume-ok', args: { consumerTag: 'ctag' } }]);
    await c.call(encodeMethodFrame(2, MethodId.ChannelOpen, {}));
    expect(await c.call(basicConsume(2, 'other-q'))).toEqual([refused(MethodId.BasicConsume, by('limited', "access to queue 'other-q'"), 2)]);
    expect(broker.root.queueOrDie('other-q').consumerCount).toBe(0);
    expect(broker.root.queueOrDie('mine-q').consumerCount).toBe(1);
    await c.finish();
  });

  test('basic.get: allowed gets; refused is 403 (basic.get) and takes nothing', async () => {
    const broker = new PermissionsBroker();
    seed(broker.root);
    const c = broker.connect('limited');
    await c.ready();
    await c.call(...publish(1, '', 'other-q'));
    expect((await c.call(basicGet(1, 'mine-q'))).map((f) => f.method)).toEqual(['basic.get-empty']);
    expect(await c.call(basicGet(1, 'other-q'))).toEqual([refused(MethodId.BasicGet, by('limited', "access to queue 'other-q'"))]);
    expect(broker.root.queueOrDie('other-q').messageCount).toBe(1);
    await c.finish();
  });

  test('queue.purge: allowed purges; refused is 403 (queue.purge) and the messages stay', async () => {
    const broker = new PermissionsBroker();
    seed(broker.root);
    const c = broker.connect('limited');
    await c.ready();
    await c.call(...publish(1, '', 'mine-q'), ...publish(1, '', 'other-q'));
    expect(await c.call(queuePurge(1, 'mine-q'))).toEqual([{ channel: 1, method: 'queue.purge-ok', args: { messageCount: 1 } }]);
    expect(await c.call(queuePurge(1, 'other-q'))).toEqual([refused(MethodId.QueuePurge, by('limited', "access to queue 'other-q'"))]);
    expect(broker.root.queueOrDie('other-q').messageCount).toBe(1);
    await c.finish();
  });

  test('the queue named by the empty-name shortcut is the one checked', async () => {
    const broker = new PermissionsBroker();
    seed(broker.root);
    const c = broker.connect('limited');
    await c.ready();
    // A passive declare is allowed and makes 'other-q' the channel's most recent queue.
    await c.call(queueDeclare(1, 'other-q', { passive: true }));
    expect(await c.call(basicGet(1, ''))).toEqual([refused(MethodId.BasicGet, by('limited', "access to queue 'other-q'"))]);
    await c.finish();
  });
});

describe('Permissions: the check comes before the lookup (403, not 404)', () => {
  test('basic.get, basic.consume, queue.purge and queue.delete of a missing queue without permission are refused', async () => {
    const broker = new PermissionsBroker();
    const c = broker.connect('limited');
    await c.ready();
    const cases: Array<[Buffer, number, string]> = [
      [basicGet(1, 'missing'), MethodId.BasicGet, 'read'],
      [basicConsume(1, 'missing'), MethodId.BasicConsume, 'read'],
      [queuePurge(1, 'missing'), MethodId.QueuePurge, 'read'],
      [queueDelete(1, 'missing'), MethodId.QueueDelete, 'configure'],
    ];
    for (const [frame, id] of cases) {
      expect(await c.call(frame)).toEqual([refused(id, by('limited', `access to queue 'missing'`))]);
      await c.call(encodeMethodFrame(1, MethodId.ChannelCloseOk, {}), encodeMethodFrame(1, MethodId.ChannelOpen, {}));
    }
    // With permission, the same queue is simply not there.
    expect((await c.call(basicGet(1, 'mine-missing')))[0]?.args?.['replyCode']).toBe(ReplyCode.NotFound);
    await c.finish();
  });
});
