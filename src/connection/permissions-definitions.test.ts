/**
 * Access control over AMQP: a real Connection driven over an in-memory socket pair, wired to an AccessControl and a
 * VhostRegistry the way broker.ts wires them. Each channel method checks configure/write/read as RabbitMQ does and
 * refuses with a 403 channel.close naming the method.
 *
 * Here: declaring and deleting exchanges and queues (configure; passive declares are not checked), bindings (write on
 * the destination, read on the source), and RabbitMQ's guard order where it differs.
 */
import { MethodId, ReplyCode, encodeMethodFrame } from '../protocol/generated/amqp';
import { PermissionsBroker, bindingsOf, by, seed } from './test-support/brokers';
import {
  blame,
  exchangeBind,
  exchangeDeclare,
  exchangeDelete,
  queueBind,
  queueDeclare,
  queueUnbind,
  refused,
} from './test-support/frames';
import { ELSEWHERE, queueDelete } from './test-support/harness';

describe('Permissions: exchange.declare and exchange.delete (configure on the exchange)', () => {
  test('allowed declare creates; refused declare is 403 (exchange.declare) and creates nothing', async () => {
    const broker = new PermissionsBroker();
    const c = broker.connect('limited');
    await c.ready();
    expect(await c.call(exchangeDeclare(1, 'mine-new'))).toEqual([{ channel: 1, method: 'exchange.declare-ok', args: {} }]);
    expect(broker.root.exchanges.has('mine-new')).toBe(true);
    expect(await c.call(exchangeDeclare(1, 'theirs'))).toEqual([refused(MethodId.ExchangeDeclare, by('limited', "access to exchange 'theirs'"))]);
    expect(broker.root.exchanges.has('theirs')).toBe(false);
    await c.finish();
  });

  test('re-declaring an existing exchange is checked too', async () => {
    const broker = new PermissionsBroker();
    seed(broker.root);
    const c = broker.connect('limited');
    await c.ready();
    expect(await c.call(exchangeDeclare(1, 'other-x'))).toEqual([refused(MethodId.ExchangeDeclare, by('limited', "access to exchange 'other-x'"))]);
    await c.finish();
  });

  test('passive declare is not checked', async () => {
    const broker = new PermissionsBroker();
    seed(broker.root);
    const c = broker.connect('limited');
    await c.ready();
    expect(await c.call(exchangeDeclare(1, 'other-x', true), exchangeDeclare(1, 'amq.topic', true))).toEqual([
      { channel: 1, method: 'exchange.declare-ok', args: {} },
      { channel: 1, method: 'exchange.declare-ok', args: {} },
    ]);
    await c.finish();
  });

  test('allowed delete removes; refused delete is 403 (exchange.delete) and the exchange stays', async () => {
    const broker = new PermissionsBroker();
    seed(broker.root);
    const c = broker.connect('limited');
    await c.ready();
    expect(await c.call(exchangeDelete(1, 'mine-x'))).toEqual([{ channel: 1, method: 'exchange.delete-ok', args: {} }]);
    expect(broker.root.exchanges.has('mine-x')).toBe(false);
    expect(await c.call(exchangeDelete(1, 'other-x'))).toEqual([refused(MethodId.ExchangeDelete, by('limited', "access to exchange 'other-x'"))]);
    expect(broker.root.exchanges.has('other-x')).toBe(true);
    await c.finish();
  });
});

describe('Permissions: queue.declare and queue.delete (configure on the queue)', () => {
  test('allowed declare creates; refused declare is 403 (queue.declare) and creates nothing', async () => {
    const broker = new PermissionsBroker();
    const c = broker.connect('limited');
    await c.ready();
    expect(await c.call(queueDeclare(1, 'mine-new'))).toEqual([
      { channel: 1, method: 'queue.declare-ok', args: { queue: 'mine-new', messageCount: 0, consumerCount: 0 } },
    ]);
    expect(await c.call(queueDeclare(1, 'theirs'))).toEqual([refused(MethodId.QueueDeclare, by('limited', "access to queue 'theirs'"))]);
    expect([...broker.root.queues.keys()]).toEqual(['mine-new']);
    await c.finish();
  });

  test('a server-named queue is checked under its generated amq.gen- name', async () => {
    const broker = new PermissionsBroker();
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
      ...blame(MethodId.QueueDeclare),
    });
    expect(broker.root.queues.size).toBe(0);
    await c.finish();
  });

  test("configure '^amq\\.gen-.*' allows server-named queues and nothing else", async () => {
    const broker = new PermissionsBroker();
    const c = broker.connect('gen');
    await c.ready();
    const [ok] = await c.call(queueDeclare(1, ''));
    expect(ok?.method).toBe('queue.declare-ok');
    const name = ok?.args?.['queue'] as string;
    expect(name).toMatch(/^amq\.gen-/);
    expect(broker.root.queues.has(name)).toBe(true);
    expect(await c.call(queueDeclare(1, 'named'))).toEqual([refused(MethodId.QueueDeclare, by('gen', "access to queue 'named'"))]);
    await c.finish();
  });

  test('passive declare is not checked', async () => {
    const broker = new PermissionsBroker();
    seed(broker.root);
    const c = broker.connect('empty');
    await c.ready();
    expect(await c.call(queueDeclare(1, 'other-q', { passive: true }))).toEqual([
      { channel: 1, method: 'queue.declare-ok', args: { queue: 'other-q', messageCount: 0, consumerCount: 0 } },
    ]);
    await c.finish();
  });

  test('allowed delete removes; refused delete is 403 (queue.delete) and the queue stays', async () => {
    const broker = new PermissionsBroker();
    seed(broker.root);
    const c = broker.connect('limited');
    await c.ready();
    expect(await c.call(queueDelete(1, 'mine-q'))).toEqual([{ channel: 1, method: 'queue.delete-ok', args: { messageCount: 0 } }]);
    expect(broker.root.queues.has('mine-q')).toBe(false);
    expect(await c.call(queueDelete(1, 'other-q'))).toEqual([refused(MethodId.QueueDelete, by('limited', "access to queue 'other-q'"))]);
    expect(broker.root.queues.has('other-q')).toBe(true);
    await c.finish();
  });
});

describe('Permissions: bindings (write on the destination, read on the source)', () => {
  test('queue.bind: allowed binds; write on the queue and read on the exchange refused with 403 (queue.bind)', async () => {
    const broker = new PermissionsBroker();
    seed(broker.root);
    const c = broker.connect('limited');
    await c.ready();
    expect(await c.call(queueBind(1, 'mine-q', 'mine-x'))).toEqual([{ channel: 1, method: 'queue.bind-ok', args: {} }]);
    expect(await c.call(queueBind(1, 'other-q', 'mine-x'))).toEqual([refused(MethodId.QueueBind, by('limited', "access to queue 'other-q'"))]);
    await c.call(encodeMethodFrame(1, MethodId.ChannelCloseOk, {}), encodeMethodFrame(1, MethodId.ChannelOpen, {}));
    expect(await c.call(queueBind(1, 'mine-q', 'amq.direct'))).toEqual([refused(MethodId.QueueBind, by('limited', "access to exchange 'amq.direct'"))]);
    expect(bindingsOf(broker.root, false)).toEqual(['mine-x -> queue:mine-q']);
    await c.finish();
  });

  test('queue.unbind: the same checks, 403 (queue.unbind), and the binding stays', async () => {
    const broker = new PermissionsBroker();
    seed(broker.root);
    for (const [q, x] of [['mine-q', 'mine-x'], ['other-q', 'mine-x'], ['mine-q', 'amq.direct']] as const) {
      broker.root.bindQueue(q, x, 'rk', {}, ELSEWHERE);
    }
    const c = broker.connect('limited');
    await c.ready();
    expect(await c.call(queueUnbind(1, 'other-q', 'mine-x'))).toEqual([refused(MethodId.QueueUnbind, by('limited', "access to queue 'other-q'"))]);
    await c.call(encodeMethodFrame(1, MethodId.ChannelCloseOk, {}), encodeMethodFrame(1, MethodId.ChannelOpen, {}));
    expect(await c.call(queueUnbind(1, 'mine-q', 'amq.direct'))).toEqual([refused(MethodId.QueueUnbind, by('limited', "access to exchange 'amq.direct'"))]);
    await c.call(encodeMethodFrame(1, MethodId.ChannelCloseOk, {}), encodeMethodFrame(1, MethodId.ChannelOpen, {}));
    expect(await c.call(queueUnbind(1, 'mine-q', 'mine-x'))).toEqual([{ channel: 1, method: 'queue.unbind-ok', args: {} }]);
    expect(bindingsOf(broker.root, false)).toEqual(['amq.direct -> queue:mine-q', 'mine-x -> queue:other-q']);
    await c.finish();
  });

  test('exchange.bind: allowed binds; write on the destination and read on the source refused with 403 (exchange.bind)', async () => {
    const broker = new PermissionsBroker();
    seed(broker.root);
    const c = broker.connect('limited');
    await c.ready();
    expect(await c.call(exchangeBind(1, 'mine-x2', 'mine-x'))).toEqual([{ channel: 1, method: 'exchange.bind-ok', args: {} }]);
    expect(await c.call(exchangeBind(1, 'other-x', 'mine-x'))).toEqual([refused(MethodId.ExchangeBind, by('limited', "access to exchange 'other-x'"))]);
    await c.call(encodeMethodFrame(1, MethodId.ChannelCloseOk, {}), encodeMethodFrame(1, MethodId.ChannelOpen, {}));
    expect(await c.call(exchangeBind(1, 'mine-x2', 'amq.direct'))).toEqual([refused(MethodId.ExchangeBind, by('limited', "access to exchange 'amq.direct'"))]);
    expect(bindingsOf(broker.root, false)).toEqual(['mine-x -> exchange:mine-x2']);
    await c.finish();
  });

  test('exchange.unbind: the same checks, 403 (exchange.unbind), and the binding stays', async () => {
    const broker = new PermissionsBroker();
    seed(broker.root);
    broker.root.bindExchange('other-x', 'mine-x', 'rk', {});
    broker.root.bindExchange('mine-x2', 'amq.direct', 'rk', {});
    broker.root.bindExchange('mine-x2', 'mine-x', 'rk', {});
    const c = broker.connect('limited');
    await c.ready();
    expect(await c.call(exchangeBind(1, 'other-x', 'mine-x', 'rk', true))).toEqual([refused(MethodId.ExchangeUnbind, by('limited', "access to exchange 'other-x'"))]);
    await c.call(encodeMethodFrame(1, MethodId.ChannelCloseOk, {}), encodeMethodFrame(1, MethodId.ChannelOpen, {}));
    expect(await c.call(exchangeBind(1, 'mine-x2', 'amq.direct', 'rk', true))).toEqual([refused(MethodId.ExchangeUnbind, by('limited', "access to exchange 'amq.direct'"))]);
    await c.call(encodeMethodFrame(1, MethodId.ChannelCloseOk, {}), encodeMethodFrame(1, MethodId.ChannelOpen, {}));
    expect(await c.call(exchangeBind(1, 'mine-x2', 'mine-x', 'rk', true))).toEqual([{ channel: 1, method: 'exchange.unbind-ok', args: {} }]);
    expect(bindingsOf(broker.root, false)).toEqual(['amq.direct -> exchange:mine-x2', 'mine-x -> exchange:other-x']);
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
    const broker = new PermissionsBroker();
    seed(broker.root);
    const c = broker.connect('limited');
    await c.ready();
    expect(await c.call(queueBind(1, 'mine-q', ''))).toEqual([
      refused(MethodId.QueueBind, 'operation not permitted on the default exchange'),
    ]);
    await c.finish();
  });

  test('exchange.bind with the default exchange as destination: the default-exchange refusal comes before the read check', async () => {
    const broker = new PermissionsBroker();
    seed(broker.root);
    const c = broker.connect('limited');
    await c.ready();
    // write on '' is granted (as amq.default); read on amq.direct is not.
    expect(await c.call(exchangeBind(1, '', 'amq.direct'))).toEqual([
      refused(MethodId.ExchangeBind, 'operation not permitted on the default exchange'),
    ]);
    await c.finish();
  });

  test("queue.declare of a reserved 'amq.' name: the reserved-prefix refusal comes before the configure check", async () => {
    const broker = new PermissionsBroker();
    const c = broker.connect('limited');
    await c.ready();
    expect(await c.call(queueDeclare(1, 'amq.mine'))).toEqual([
      refused(MethodId.QueueDeclare, "queue name 'amq.mine' contains reserved prefix 'amq.*'"),
    ]);
    await c.finish();
  });
});
