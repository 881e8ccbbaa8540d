/**
 * Access control over AMQP: a real Connection driven over an in-memory socket pair, wired to an AccessControl and a
 * VhostRegistry the way broker.ts wires them. Each channel method checks configure/write/read as RabbitMQ does and
 * refuses with a 403 channel.close naming the method.
 *
 * Here: connection.open needs a permission entry on the vhost (530 otherwise); a user with full permissions passes
 * every check; deleting a vhost closes its connections with 320.
 */
import { MethodId, ReplyCode, encodeMethodFrame } from '../protocol/generated/amqp';
import { PermissionsBroker, by, seed } from './test-support/brokers';
import {
  blame,
  basicConsume,
  exchangeBind,
  exchangeDeclare,
  exchangeDelete,
  queueBind,
  queueDeclare,
  queuePurge,
  queueUnbind,
  refused,
} from './test-support/frames';
import { basicGet, publish, queueDelete, settle } from './test-support/harness';

describe('Permissions: connection.open', () => {
  test("a user without a permission entry on the vhost gets 530 NOT_ALLOWED on connection.open", async () => {
    const broker = new PermissionsBroker();
    const c = broker.connect('nobody');
    expect(await c.open()).toEqual([
      {
        channel: 0,
        method: 'connection.close',
        args: {
          replyCode: ReplyCode.NotAllowed,
          replyText: "NOT_ALLOWED - access to vhost '/' refused for user 'nobody'",
          ...blame(MethodId.ConnectionOpen),
        },
      },
    ]);
    // Nothing on a channel is accepted afterwards; close-ok ends the stream.
    expect(await c.call(encodeMethodFrame(1, MethodId.ChannelOpen, {}), encodeMethodFrame(0, MethodId.ConnectionCloseOk, {}))).toEqual([]);
    expect(c.ended).toBe(true);
    await c.finish();
  });

  test('the same user opens a vhost it has an entry on', async () => {
    const broker = new PermissionsBroker();
    const c = broker.connect('nobody', 'other');
    expect((await c.open()).map((f) => f.method)).toEqual(['connection.open-ok']);
    await c.finish();
  });

  test('an entry of empty expressions is enough to open the vhost, but grants nothing', async () => {
    const broker = new PermissionsBroker();
    seed(broker.root);
    const c = broker.connect('empty');
    await c.ready();
    expect(await c.call(basicGet(1, 'mine-q'))).toEqual([refused(MethodId.BasicGet, by('empty', "access to queue 'mine-q'"))]);
    await c.finish();
  });

  test('a permission removed after connecting is refused on the next check', async () => {
    const broker = new PermissionsBroker();
    seed(broker.root);
    const c = broker.connect('limited');
    await c.ready();
    expect((await c.call(basicGet(1, 'mine-q'))).map((f) => f.method)).toEqual(['basic.get-empty']);
    broker.access.deletePermission('limited', '/');
    expect(await c.call(basicGet(1, 'mine-q'))).toEqual([refused(MethodId.BasicGet, by('limited', "access to queue 'mine-q'"))]);
    await c.finish();
  });
});

describe('Permissions: guest with full permissions', () => {
  test('every checked method passes', async () => {
    const broker = new PermissionsBroker();
    seed(broker.root);
    const c = broker.connect('guest');
    await c.ready();
    const replies = await c.call(
      exchangeDeclare(1, 'gx'),
      queueDeclare(1, 'gq'),
      queueDeclare(1, ''),
      queueBind(1, 'gq', 'gx'),
      exchangeBind(1, 'gx', 'amq.direct'),
      ...publish(1, 'gx', 'rk'),
      ...publish(1, '', 'gq'),
      basicGet(1, 'gq'),
      queuePurge(1, 'gq'),
      basicConsume(1, 'gq'),
      queueUnbind(1, 'gq', 'gx'),
      exchangeBind(1, 'gx', 'amq.direct', 'rk', true),
      queueDelete(1, 'gq'),
      exchangeDelete(1, 'gx'),
    );
    expect(replies.filter((f) => f.method !== undefined).map((f) => f.method)).toEqual([
      'exchange.declare-ok',
      'queue.declare-ok',
      'queue.declare-ok',
      'queue.bind-ok',
      'exchange.bind-ok',
      'basic.get-ok',
      'queue.purge-ok',
      'basic.consume-ok',
      'queue.unbind-ok',
      'exchange.unbind-ok',
      'queue.delete-ok',
      'exchange.delete-ok',
    ]);
    await c.finish();
  });
});

describe('Permissions: vhost deletion', () => {
  test("connections on the deleted vhost get 320 CONNECTION_FORCED; others stay open", async () => {
    const broker = new PermissionsBroker();
    const onRoot = broker.connect('guest');
    const onOther = broker.connect('guest', 'other');
    await onRoot.ready();
    await onOther.ready();
    await onRoot.call(queueDeclare(1, 'q'), basicConsume(1, 'q'));
    const queue = broker.root.queueOrDie('q');

    expect(broker.vhosts.delete('/')).toBe(true);
    await settle();
    expect(onRoot.newFrames()).toEqual([
      {
        channel: 0,
        method: 'connection.close',
        args: { replyCode: ReplyCode.ConnectionForced, replyText: "CONNECTION_FORCED - vhost '/' is deleted", classId: 0, methodId: 0 },
      },
    ]);
    expect(queue.deleted).toBe(true);
    expect(onOther.newFrames()).toEqual([]);
    expect((await onOther.call(queueDeclare(1, 'still-here'))).map((f) => f.method)).toEqual(['queue.declare-ok']);

    // The closing connection ignores channel traffic and ends on close-ok.
    expect(await onRoot.call(basicGet(1, 'q'), encodeMethodFrame(0, MethodId.ConnectionCloseOk, {}))).toEqual([]);
    expect(onRoot.ended).toBe(true);
    await onRoot.finish();
    await onOther.finish();
  });

  test('the permissions on the deleted vhost go with it: a re-created vhost refuses the old users', async () => {
    const broker = new PermissionsBroker();
    broker.vhosts.delete('/');
    expect(broker.access.canAccessVhost('guest', '/')).toBe(false);
    expect(broker.store.loadAccess().permissions.filter((p) => p.vhost === '/')).toEqual([]);
    broker.vhosts.put({ name: '/', description: '', tags: [] });
    const c = broker.connect('guest');
    expect(await c.open()).toEqual([
      {
        channel: 0,
        method: 'connection.close',
        args: { replyCode: ReplyCode.NotAllowed, replyText: "NOT_ALLOWED - access to vhost '/' refused for user 'guest'", ...blame(MethodId.ConnectionOpen) },
      },
    ]);
    await c.finish();
  });

  test('a connection still in the handshake for the deleted vhost is refused at connection.open (530, no such vhost)', async () => {
    const broker = new PermissionsBroker();
    broker.vhosts.delete('other');
    const c = broker.connect('guest', 'other');
    expect(await c.open()).toEqual([
      {
        channel: 0,
        method: 'connection.close',
        args: { replyCode: ReplyCode.NotAllowed, replyText: 'NOT_ALLOWED - vhost other not found', ...blame(MethodId.ConnectionOpen) },
      },
    ]);
    await c.finish();
  });
});
