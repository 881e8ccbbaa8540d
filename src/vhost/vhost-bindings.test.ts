import { ReplyCode } from '../protocol/generated/amqp';
import { CONN_A, caught, exchangeReq, expectError, queueReq, setup } from './test-support/declare';
import { routeNames } from './test-support/routing';

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
