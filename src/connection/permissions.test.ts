/**
 * Access control over AMQP: a real Connection driven over an in-memory socket pair, wired to an AccessControl and a
 * VhostRegistry the way broker.ts wires them. connection.open needs a permission entry on the vhost (530 otherwise);
 * each channel method checks configure/write/read as RabbitMQ does and refuses with a 403 channel.close naming the
 * method; passive declares are not checked; deleting a vhost closes its connections with 320.
 */
import { MethodId, ReplyCode, encodeMethodFrame } from '../protocol/generated/amqp';
import type { PermissionRecord } from '../store/store';
import type { VirtualHost } from '../vhost/vhost';
import { type Decoded, ELSEWHERE, TestBroker, basicGet, publish, queueDelete, settle } from './test-support/harness';

function perm(user: string, vhost: string, configure: string, write: string, read: string): PermissionRecord {
  return { user, vhost, configure, write, read };
}

/** Users with the permissions the tests need; no connection or channel limits are set here. */
class Broker extends TestBroker {
  constructor() {
    super({ users: ['guest', 'limited', 'nodefault', 'gen', 'empty', 'nobody'], confirmChannelOpen: false });
    this.access.setPermission(perm('guest', '/', '.*', '.*', '.*'));
    this.access.setPermission(perm('guest', 'other', '.*', '.*', '.*'));
    this.access.setPermission(perm('limited', '/', '^mine-.*', '^mine-.*|^amq\\.default$', '^mine-.*'));
    this.access.setPermission(perm('nodefault', '/', '^mine-.*', '^mine-.*', '^mine-.*'));
    this.access.setPermission(perm('gen', '/', '^amq\\.gen-.*', '', ''));
    this.access.setPermission(perm('empty', '/', '', '', ''));
    // 'nobody' has permissions on another vhost only.
    this.access.setPermission(perm('nobody', 'other', '.*', '.*', '.*'));
  }
}

// ---- frames -----------------------------------------------------------------------------------------

function exchangeDeclare(channel: number, exchange: string, passive = false): Buffer {
  return encodeMethodFrame(channel, MethodId.ExchangeDeclare, {
    exchange,
    type: 'direct',
    passive,
    durable: false,
    autoDelete: false,
    internal: false,
    noWait: false,
    arguments: {},
  });
}

function exchangeDelete(channel: number, exchange: string): Buffer {
  return encodeMethodFrame(channel, MethodId.ExchangeDelete, { exchange, ifUnused: false, noWait: false });
}

function exchangeBind(channel: number, destination: string, source: string, unbind = false): Buffer {
  const id = unbind ? MethodId.ExchangeUnbind : MethodId.ExchangeBind;
  return encodeMethodFrame(channel, id, { destination, source, routingKey: 'rk', noWait: false, arguments: {} });
}

function queueDeclare(channel: number, queue: string, passive = false): Buffer {
  return encodeMethodFrame(channel, MethodId.QueueDeclare, {
    queue,
    passive,
    durable: false,
    exclusive: false,
    autoDelete: false,
    noWait: false,
    arguments: {},
  });
}

function queueBind(channel: number, queue: string, exchange: string): Buffer {
  return encodeMethodFrame(channel, MethodId.QueueBind, { queue, exchange, routingKey: 'rk', noWait: false, arguments: {} });
}

function queueUnbind(channel: number, queue: string, exchange: string): Buffer {
  return encodeMethodFrame(channel, MethodId.QueueUnbind, { queue, exchange, routingKey: 'rk', arguments: {} });
}

function queuePurge(channel: number, queue: string): Buffer {
  return encodeMethodFrame(channel, MethodId.QueuePurge, { queue, noWait: false });
}

function basicConsume(channel: number, queue: string): Buffer {
  return encodeMethodFrame(channel, MethodId.BasicConsume, {
    queue,
    consumerTag: 'ctag',
    noLocal: false,
    noAck: true,
    exclusive: false,
    noWait: false,
    arguments: {},
  });
}

/** The channel.close a refused check gives. */
function refused(classId: number, methodId: number, detail: string, channel = 1): Decoded {
  return {
    channel,
    method: 'channel.close',
    args: { replyCode: ReplyCode.AccessRefused, replyText: `ACCESS_REFUSED - ${detail}`, classId, methodId },
  };
}

function by(user: string, what: string): string {
  return `${what} in vhost '/' refused for user '${user}'`;
}

/** Resources owned by nobody in the test: created directly on the vhost, as another connection would. */
function seed(vhost: VirtualHost): void {
  for (const name of ['mine-x', 'mine-x2', 'other-x']) {
    vhost.declareExchange({ name, type: 'direct', passive: false, durable: false, autoDelete: false, internal: false, arguments: {} });
  }
  for (const name of ['mine-q', 'other-q']) {
    vhost.declareQueue({ name, passive: false, durable: false, exclusive: false, autoDelete: false, arguments: {} }, ELSEWHERE);
  }
}

function bindingsOf(vhost: VirtualHost): string[] {
  return vhost.bindings
    .all()
    .map((b) => `${b.source.name} -> ${b.destinationKind}:${b.destination.name}`)
    .sort();
}

// ---- tests ------------------------------------------------------------------------------------------

describe('Permissions: connection.open', () => {
  test("a user without a permission entry on the vhost gets 530 NOT_ALLOWED on connection.open", async () => {
    const broker = new Broker();
    const c = broker.connect('nobody');
    expect(await c.open()).toEqual([
      {
        channel: 0,
        method: 'connection.close',
        args: {
          replyCode: ReplyCode.NotAllowed,
          replyText: "NOT_ALLOWED - access to vhost '/' refused for user 'nobody'",
          classId: 10,
          methodId: 40,
        },
      },
    ]);
    // Nothing on a channel is accepted afterwards; close-ok ends the stream.
    expect(await c.call(encodeMethodFrame(1, MethodId.ChannelOpen, {}), encodeMethodFrame(0, MethodId.ConnectionCloseOk, {}))).toEqual([]);
    expect(c.ended).toBe(true);
    await c.finish();
  });

  test('the same user opens a vhost it has an entry on', async () => {
    const broker = new Broker();
    const c = broker.connect('nobody', 'other');
    expect((await c.open()).map((f) => f.method)).toEqual(['connection.open-ok']);
    await c.finish();
  });

  test('an entry of empty expressions is enough to open the vhost, but grants nothing', async () => {
    const broker = new Broker();
    seed(broker.root);
    const c = broker.connect('empty');
    await c.ready();
    expect(await c.call(basicGet(1, 'mine-q'))).toEqual([refused(60, 70, by('empty', "access to queue 'mine-q'"))]);
    await c.finish();
  });

  test('a permission removed after connecting is refused on the next check', async () => {
    const broker = new Broker();
    seed(broker.root);
    const c = broker.connect('limited');
    await c.ready();
    expect((await c.call(basicGet(1, 'mine-q'))).map((f) => f.method)).toEqual(['basic.get-empty']);
    broker.access.deletePermission('limited', '/');
    expect(await c.call(basicGet(1, 'mine-q'))).toEqual([refused(60, 70, by('limited', "access to queue 'mine-q'"))]);
    await c.finish();
  });
});

describe('Permissions: exchange.declare and exchange.delete (configure on the exchange)', () => {
  test('allowed declare creates; refused declare is 403 (40, 10) and creates nothing', async () => {
    const broker = new Broker();
    const c = broker.connect('limited');
    await c.ready();
    expect(await c.call(exchangeDeclare(1, 'mine-new'))).toEqual([{ channel: 1, method: 'exchange.declare-ok', args: {} }]);
    expect(broker.root.exchanges.has('mine-new')).toBe(true);
    expect(await c.call(exchangeDeclare(1, 'theirs'))).toEqual([refused(40, 10, by('limited', "access to exchange 'theirs'"))]);
    expect(broker.root.exchanges.has('theirs')).toBe(false);
    await c.finish();
  });

  test('re-declaring an existing exchange is checked too', async () => {
    const broker = new Broker();
    seed(broker.root);
    const c = broker.connect('limited');
    await c.ready();
    expect(await c.call(exchangeDeclare(1, 'other-x'))).toEqual([refused(40, 10, by('limited', "access to exchange 'other-x'"))]);
    await c.finish();
  });

  test('passive declare is not checked', async () => {
    const broker = new Broker();
    seed(broker.root);
    const c = broker.connect('limited');
    await c.ready();
    expect(await c.call(exchangeDeclare(1, 'other-x', true), exchangeDeclare(1, 'amq.topic', true))).toEqual([
      { channel: 1, method: 'exchange.declare-ok', args: {} },
      { channel: 1, method: 'exchange.declare-ok', args: {} },
    ]);
    await c.finish();
  });

  test('allowed delete removes; refused delete is 403 (40, 20) and the exchange stays', async () => {
    const broker = new Broker();
    seed(broker.root);
    const c = broker.connect('limited');
    await c.ready();
    expect(await c.call(exchangeDelete(1, 'mine-x'))).toEqual([{ channel: 1, method: 'exchange.delete-ok', args: {} }]);
    expect(broker.root.exchanges.has('mine-x')).toBe(false);
    expect(await c.call(exchangeDelete(1, 'other-x'))).toEqual([refused(40, 20, by('limited', "access to exchange 'other-x'"))]);
    expect(broker.root.exchanges.has('other-x')).toBe(true);
    await c.finish();
  });
});

describe('Permissions: queue.declare and queue.delete (configure on the queue)', () => {
  test('allowed declare creates; refused declare is 403 (50, 10) and creates nothing', async () => {
    const broker = new Broker();
    const c = broker.connect('limited');
    await c.ready();
    expect(await c.call(queueDeclare(1, 'mine-new'))).toEqual([
      { channel: 1, method: 'queue.declare-ok', args: { queue: 'mine-new', messageCount: 0, consumerCount: 0 } },
    ]);
    expect(await c.call(queueDeclare(1, 'theirs'))).toEqual([refused(50, 10, by('limited', "access to queue 'theirs'"))]);
    expect([...broker.root.queues.keys()]).toEqual(['mine-new']);
    await c.finish();
  });

  test('a server-named queue is checked under its generated amq.gen- name', async () => {
    const broker = new Broker();
    const c = broker.connect('limited');
    await c.ready();
    const [close, ...rest] = await c.call(queueDeclare(1, ''));
    expect(rest).toEqual([]);
    expect(close?.method).toBe('channel.close');
    expect(close?.args).toEqual({
      replyCode: ReplyCode.AccessRefused,
      replyText: expect.stringMatching(
        /^ACCESS_REFUSED - access to queue 'amq\.gen-[A-Za-z0-9_-]{22}' in vhost '\/' refused for user 'limited'$/,
      ) as unknown,
      classId: 50,
      methodId: 10,
    });
    expect(broker.root.queues.size).toBe(0);
    await c.finish();
  });

  test("configure '^amq\\.gen-.*' allows server-named queues and nothing else", async () => {
    const broker = new Broker();
    const c = broker.connect('gen');
    await c.ready();
    const [ok] = await c.call(queueDeclare(1, ''));
    expect(ok?.method).toBe('queue.declare-ok');
    const name = ok?.args?.['queue'] as string;
    expect(name).toMatch(/^amq\.gen-/);
    expect(broker.root.queues.has(name)).toBe(true);
    expect(await c.call(queueDeclare(1, 'named'))).toEqual([refused(50, 10, by('gen', "access to queue 'named'"))]);
    await c.finish();
  });

  test('passive declare is not checked', async () => {
    const broker = new Broker();
    seed(broker.root);
    const c = broker.connect('empty');
    await c.ready();
    expect(await c.call(queueDeclare(1, 'other-q', true))).toEqual([
      { channel: 1, method: 'queue.declare-ok', args: { queue: 'other-q', messageCount: 0, consumerCount: 0 } },
    ]);
    await c.finish();
  });

  test('allowed delete removes; refused delete is 403 (50, 40) and the queue stays', async () => {
    const broker = new Broker();
    seed(broker.root);
    const c = broker.connect('limited');
    await c.ready();
    expect(await c.call(queueDelete(1, 'mine-q'))).toEqual([{ channel: 1, method: 'queue.delete-ok', args: { messageCount: 0 } }]);
    expect(broker.root.queues.has('mine-q')).toBe(false);
    expect(await c.call(queueDelete(1, 'other-q'))).toEqual([refused(50, 40, by('limited', "access to queue 'other-q'"))]);
    expect(broker.root.queues.has('other-q')).toBe(true);
    await c.finish();
  });
});

describe('Permissions: bindings (write on the destination, read on the source)', () => {
  test('queue.bind: allowed binds; write on the queue and read on the exchange refused with 403 (50, 20)', async () => {
    const broker = new Broker();
    seed(broker.root);
    const c = broker.connect('limited');
    await c.ready();
    expect(await c.call(queueBind(1, 'mine-q', 'mine-x'))).toEqual([{ channel: 1, method: 'queue.bind-ok', args: {} }]);
    expect(await c.call(queueBind(1, 'other-q', 'mine-x'))).toEqual([refused(50, 20, by('limited', "access to queue 'other-q'"))]);
    await c.call(encodeMethodFrame(1, MethodId.ChannelCloseOk, {}), encodeMethodFrame(1, MethodId.ChannelOpen, {}));
    expect(await c.call(queueBind(1, 'mine-q', 'amq.direct'))).toEqual([refused(50, 20, by('limited', "access to exchange 'amq.direct'"))]);
    expect(bindingsOf(broker.root)).toEqual(['mine-x -> queue:mine-q']);
    await c.finish();
  });

  test('queue.unbind: the same checks, 403 (50, 50), and the binding stays', async () => {
    const broker = new Broker();
    seed(broker.root);
    for (const [q, x] of [['mine-q', 'mine-x'], ['other-q', 'mine-x'], ['mine-q', 'amq.direct']] as const) {
      broker.root.bindQueue(q, x, 'rk', {}, ELSEWHERE);
    }
    const c = broker.connect('limited');
    await c.ready();
    expect(await c.call(queueUnbind(1, 'other-q', 'mine-x'))).toEqual([refused(50, 50, by('limited', "access to queue 'other-q'"))]);
    await c.call(encodeMethodFrame(1, MethodId.ChannelCloseOk, {}), encodeMethodFrame(1, MethodId.ChannelOpen, {}));
    expect(await c.call(queueUnbind(1, 'mine-q', 'amq.direct'))).toEqual([refused(50, 50, by('limited', "access to exchange 'amq.direct'"))]);
    await c.call(encodeMethodFrame(1, MethodId.ChannelCloseOk, {}), encodeMethodFrame(1, MethodId.ChannelOpen, {}));
    expect(await c.call(queueUnbind(1, 'mine-q', 'mine-x'))).toEqual([{ channel: 1, method: 'queue.unbind-ok', args: {} }]);
    expect(bindingsOf(broker.root)).toEqual(['amq.direct -> queue:mine-q', 'mine-x -> queue:other-q']);
    await c.finish();
  });

  test('exchange.bind: allowed binds; write on the destination and read on the source refused with 403 (40, 30)', async () => {
    const broker = new Broker();
    seed(broker.root);
    const c = broker.connect('limited');
    await c.ready();
    expect(await c.call(exchangeBind(1, 'mine-x2', 'mine-x'))).toEqual([{ channel: 1, method: 'exchange.bind-ok', args: {} }]);
    expect(await c.call(exchangeBind(1, 'other-x', 'mine-x'))).toEqual([refused(40, 30, by('limited', "access to exchange 'other-x'"))]);
    await c.call(encodeMethodFrame(1, MethodId.ChannelCloseOk, {}), encodeMethodFrame(1, MethodId.ChannelOpen, {}));
    expect(await c.call(exchangeBind(1, 'mine-x2', 'amq.direct'))).toEqual([refused(40, 30, by('limited', "access to exchange 'amq.direct'"))]);
    expect(bindingsOf(broker.root)).toEqual(['mine-x -> exchange:mine-x2']);
    await c.finish();
  });

  test('exchange.unbind: the same checks, 403 (40, 40), and the binding stays', async () => {
    const broker = new Broker();
    seed(broker.root);
    broker.root.bindExchange('other-x', 'mine-x', 'rk', {});
    broker.root.bindExchange('mine-x2', 'amq.direct', 'rk', {});
    broker.root.bindExchange('mine-x2', 'mine-x', 'rk', {});
    const c = broker.connect('limited');
    await c.ready();
    expect(await c.call(exchangeBind(1, 'other-x', 'mine-x', true))).toEqual([refused(40, 40, by('limited', "access to exchange 'other-x'"))]);
    await c.call(encodeMethodFrame(1, MethodId.ChannelCloseOk, {}), encodeMethodFrame(1, MethodId.ChannelOpen, {}));
    expect(await c.call(exchangeBind(1, 'mine-x2', 'amq.direct', true))).toEqual([refused(40, 40, by('limited', "access to exchange 'amq.direct'"))]);
    await c.call(encodeMethodFrame(1, MethodId.ChannelCloseOk, {}), encodeMethodFrame(1, MethodId.ChannelOpen, {}));
    expect(await c.call(exchangeBind(1, 'mine-x2', 'mine-x', true))).toEqual([{ channel: 1, method: 'exchange.unbind-ok', args: {} }]);
    expect(bindingsOf(broker.root)).toEqual(['amq.direct -> exchange:mine-x2', 'mine-x -> exchange:other-x']);
    await c.finish();
  });
});

describe('Permissions: basic.publish (write on the exchange)', () => {
  test('publishing to an exchange without write is 403 (60, 40) and nothing is routed', async () => {
    const broker = new Broker();
    seed(broker.root);
    broker.root.bindQueue('mine-q', 'other-x', 'rk', {}, ELSEWHERE);
    const c = broker.connect('limited');
    await c.ready();
    expect(await c.call(...publish(1, 'other-x', 'rk'))).toEqual([refused(60, 40, by('limited', "access to exchange 'other-x'"))]);
    expect(broker.root.queueOrDie('mine-q').messageCount).toBe(0);
    await c.finish();
  });

  test('allowed publish routes; a refusal is not remembered as allowed on a later channel', async () => {
    const broker = new Broker();
    seed(broker.root);
    broker.root.bindQueue('mine-q', 'mine-x', 'rk', {}, ELSEWHERE);
    const c = broker.connect('limited');
    await c.ready();
    expect(await c.call(...publish(1, 'mine-x', 'rk'), ...publish(1, 'mine-x', 'rk'))).toEqual([]);
    expect(broker.root.queueOrDie('mine-q').messageCount).toBe(2);
    await c.call(encodeMethodFrame(2, MethodId.ChannelOpen, {}), encodeMethodFrame(3, MethodId.ChannelOpen, {}));
    expect(await c.call(...publish(2, 'amq.direct', 'rk'))).toEqual([refused(60, 40, by('limited', "access to exchange 'amq.direct'"), 2)]);
    expect(await c.call(...publish(3, 'amq.direct', 'rk'))).toEqual([refused(60, 40, by('limited', "access to exchange 'amq.direct'"), 3)]);
    await c.finish();
  });

  test('a write permission narrowed while a channel publishes applies to its very next publish; a deleted user is disconnected', async () => {
    const broker = new Broker();
    seed(broker.root);
    broker.root.bindQueue('mine-q', 'mine-x', 'rk', {}, ELSEWHERE);
    const c = broker.connect('limited');
    await c.ready();
    expect(await c.call(...publish(1, 'mine-x', 'rk'))).toEqual([]);
    broker.access.setPermission(perm('limited', '/', '.*', '^nothing$', '.*'));
    expect(await c.call(...publish(1, 'mine-x', 'rk'))).toEqual([refused(60, 40, by('limited', "access to exchange 'mine-x'"))]);
    expect(broker.root.queueOrDie('mine-q').messageCount).toBe(1);
    broker.access.deleteUser('limited');
    await settle();
    expect(c.newFrames()).toEqual([
      { channel: 0, method: 'connection.close', args: { replyCode: 320, replyText: "CONNECTION_FORCED - user 'limited' is deleted", classId: 0, methodId: 0 } },
    ]);
  });

  test("the default exchange is checked as 'amq.default': allowed when write matches it", async () => {
    const broker = new Broker();
    seed(broker.root);
    const c = broker.connect('limited');
    await c.ready();
    // Only the exchange is checked on publish, not the queue it routes to (RabbitMQ).
    expect(await c.call(...publish(1, '', 'other-q'))).toEqual([]);
    expect(broker.root.queueOrDie('other-q').messageCount).toBe(1);
    await c.finish();
  });

  test("the default exchange is checked as 'amq.default': refused with that name when write does not match it", async () => {
    const broker = new Broker();
    seed(broker.root);
    const c = broker.connect('nodefault');
    await c.ready();
    expect(await c.call(...publish(1, '', 'mine-q'))).toEqual([refused(60, 40, by('nodefault', "access to exchange 'amq.default'"))]);
    expect(broker.root.queueOrDie('mine-q').messageCount).toBe(0);
    await c.finish();
  });
});

describe('Permissions: reading from queues (read on the queue)', () => {
  test('basic.consume: allowed consumes; refused is 403 (60, 20) and adds no consumer', async () => {
    const broker = new Broker();
    seed(broker.root);
    const c = broker.connect('limited');
    await c.ready();
    expect(await c.call(basicConsume(1, 'mine-q'))).toEqual([{ channel: 1, method: 'basic.consume-ok', args: { consumerTag: 'ctag' } }]);
    await c.call(encodeMethodFrame(2, MethodId.ChannelOpen, {}));
    expect(await c.call(basicConsume(2, 'other-q'))).toEqual([refused(60, 20, by('limited', "access to queue 'other-q'"), 2)]);
    expect(broker.root.queueOrDie('other-q').consumerCount).toBe(0);
    expect(broker.root.queueOrDie('mine-q').consumerCount).toBe(1);
    await c.finish();
  });

  test('basic.get: allowed gets; refused is 403 (60, 70) and takes nothing', async () => {
    const broker = new Broker();
    seed(broker.root);
    const c = broker.connect('limited');
    await c.ready();
    await c.call(...publish(1, '', 'other-q'));
    expect((await c.call(basicGet(1, 'mine-q'))).map((f) => f.method)).toEqual(['basic.get-empty']);
    expect(await c.call(basicGet(1, 'other-q'))).toEqual([refused(60, 70, by('limited', "access to queue 'other-q'"))]);
    expect(broker.root.queueOrDie('other-q').messageCount).toBe(1);
    await c.finish();
  });

  test('queue.purge: allowed purges; refused is 403 (50, 30) and the messages stay', async () => {
    const broker = new Broker();
    seed(broker.root);
    const c = broker.connect('limited');
    await c.ready();
    await c.call(...publish(1, '', 'mine-q'), ...publish(1, '', 'other-q'));
    expect(await c.call(queuePurge(1, 'mine-q'))).toEqual([{ channel: 1, method: 'queue.purge-ok', args: { messageCount: 1 } }]);
    expect(await c.call(queuePurge(1, 'other-q'))).toEqual([refused(50, 30, by('limited', "access to queue 'other-q'"))]);
    expect(broker.root.queueOrDie('other-q').messageCount).toBe(1);
    await c.finish();
  });

  test('the queue named by the empty-name shortcut is the one checked', async () => {
    const broker = new Broker();
    seed(broker.root);
    const c = broker.connect('limited');
    await c.ready();
    // A passive declare is allowed and makes 'other-q' the channel's most recent queue.
    await c.call(queueDeclare(1, 'other-q', true));
    expect(await c.call(basicGet(1, ''))).toEqual([refused(60, 70, by('limited', "access to queue 'other-q'"))]);
    await c.finish();
  });
});

describe('Permissions: the check comes before the lookup (403, not 404)', () => {
  test('basic.get, basic.consume, queue.purge and queue.delete of a missing queue without permission are refused', async () => {
    const broker = new Broker();
    const c = broker.connect('limited');
    await c.ready();
    const cases: Array<[Buffer, number, number, string]> = [
      [basicGet(1, 'missing'), 60, 70, 'read'],
      [basicConsume(1, 'missing'), 60, 20, 'read'],
      [queuePurge(1, 'missing'), 50, 30, 'read'],
      [queueDelete(1, 'missing'), 50, 40, 'configure'],
    ];
    for (const [frame, classId, methodId, kind] of cases) {
      expect(await c.call(frame)).toEqual([refused(classId, methodId, by('limited', `access to queue 'missing'`))]);
      await c.call(encodeMethodFrame(1, MethodId.ChannelCloseOk, {}), encodeMethodFrame(1, MethodId.ChannelOpen, {}));
    }
    // With permission, the same queue is simply not there.
    expect((await c.call(basicGet(1, 'mine-missing')))[0]?.args?.['replyCode']).toBe(ReplyCode.NotFound);
    await c.finish();
  });
});

/*
 * Known bugs: RabbitMQ's guard order gives other 403 texts than Leveret in these cases. rabbit_channel's
 * binding_action checks write on the destination, then that neither end is the default exchange, then read on the
 * source; its queue.declare rejects a reserved 'amq.' name before checking configure. These fail until fixed.
 */
describe("Permissions: RabbitMQ's guard order (known bugs)", () => {
  test("queue.bind to the default exchange: 'operation not permitted on the default exchange' before the read check", async () => {
    const broker = new Broker();
    seed(broker.root);
    const c = broker.connect('limited');
    await c.ready();
    expect(await c.call(queueBind(1, 'mine-q', ''))).toEqual([
      refused(50, 20, 'operation not permitted on the default exchange'),
    ]);
    await c.finish();
  });

  test('exchange.bind with the default exchange as destination: the default-exchange refusal comes before the read check', async () => {
    const broker = new Broker();
    seed(broker.root);
    const c = broker.connect('limited');
    await c.ready();
    // write on '' is granted (as amq.default); read on amq.direct is not.
    expect(await c.call(exchangeBind(1, '', 'amq.direct'))).toEqual([
      refused(40, 30, 'operation not permitted on the default exchange'),
    ]);
    await c.finish();
  });

  test("queue.declare of a reserved 'amq.' name: the reserved-prefix refusal comes before the configure check", async () => {
    const broker = new Broker();
    const c = broker.connect('limited');
    await c.ready();
    expect(await c.call(queueDeclare(1, 'amq.mine'))).toEqual([
      refused(50, 10, "queue name 'amq.mine' contains reserved prefix 'amq.*'"),
    ]);
    await c.finish();
  });
});

describe('Permissions: guest with full permissions', () => {
  test('every checked method passes', async () => {
    const broker = new Broker();
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
      exchangeBind(1, 'gx', 'amq.direct', true),
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
    const broker = new Broker();
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
    const broker = new Broker();
    broker.vhosts.delete('/');
    expect(broker.access.canAccessVhost('guest', '/')).toBe(false);
    expect(broker.store.loadAccess().permissions.filter((p) => p.vhost === '/')).toEqual([]);
    broker.vhosts.put({ name: '/', description: '', tags: [] });
    const c = broker.connect('guest');
    expect(await c.open()).toEqual([
      {
        channel: 0,
        method: 'connection.close',
        args: { replyCode: ReplyCode.NotAllowed, replyText: "NOT_ALLOWED - access to vhost '/' refused for user 'guest'", classId: 10, methodId: 40 },
      },
    ]);
    await c.finish();
  });

  test('a connection still in the handshake for the deleted vhost is refused at connection.open (530, no such vhost)', async () => {
    const broker = new Broker();
    broker.vhosts.delete('other');
    const c = broker.connect('guest', 'other');
    expect(await c.open()).toEqual([
      {
        channel: 0,
        method: 'connection.close',
        args: { replyCode: ReplyCode.NotAllowed, replyText: 'NOT_ALLOWED - vhost other not found', classId: 10, methodId: 40 },
      },
    ]);
    await c.finish();
  });
});
