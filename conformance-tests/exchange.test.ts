/**
 * exchange class: declare, equivalence, reserved names, types, delete, exchange-to-exchange bindings,
 * alternate exchanges, internal exchanges, and the routing of each built-in type.
 */
import type * as amqp from 'amqplib';
import { Reply } from './support/codes';
import {
  channel,
  cleanup,
  delay,
  drain,
  exchangeExists,
  expectChannelClose,
  expectConnectionClose,
  open,
  setupBroker,
  uniqueName,
  waitForReady,
} from './support/broker';

const broker = setupBroker();

/** An exclusive server-named queue bound to `exchange` with each of `keys`. */
async function boundQueue(ch: amqp.Channel, exchange: string, keys: string[], args?: Record<string, unknown>): Promise<string> {
  const q = await ch.assertQueue('', { exclusive: true });
  for (const k of keys) await ch.bindQueue(q.queue, exchange, k, args);
  return q.queue;
}

/**
 * Publishes each message, then a marker through the default exchange to every queue; once each queue has its
 * marker, everything routed before it has arrived (RabbitMQ keeps per-channel publish order per queue).
 */
async function publishAndCollect(
  ch: amqp.Channel,
  queues: string[],
  publish: () => void,
): Promise<string[][]> {
  publish();
  for (const q of queues) ch.sendToQueue(q, Buffer.from('<end>'));
  const out: string[][] = [];
  for (const q of queues) {
    const bodies: string[] = [];
    const deadline = Date.now() + 3000;
    for (;;) {
      const m = await ch.get(q, { noAck: true });
      if (m === false) {
        if (Date.now() > deadline) throw new Error(`no end marker in ${q}`);
        await delay(10);
        continue;
      }
      const body = m.content.toString();
      if (body === '<end>') break;
      bodies.push(body);
    }
    out.push(bodies);
  }
  return out;
}

describe('exchange', () => {
  test.each(['direct', 'fanout', 'topic', 'headers'])(
    'exchange.declare of type %s succeeds and redeclaring it identically is a no-op (spec: exchange.declare)',
    async (type) => {
      const { ch } = await open(broker.url);
      const x = cleanup.exchange(uniqueName(type));
      await ch.assertExchange(x, type, { durable: false });
      await ch.assertExchange(x, type, { durable: false });
      await ch.checkExchange(x);
    },
  );

  test('the pre-declared exchanges amq.direct, amq.fanout, amq.topic, amq.headers, amq.match exist (spec: exchange pre-declared)', async () => {
    const { ch } = await open(broker.url);
    for (const x of ['amq.direct', 'amq.fanout', 'amq.topic', 'amq.headers', 'amq.match']) await ch.checkExchange(x);
  });

  test('exchange.declare passive on a missing exchange closes the channel with 404 NOT_FOUND (spec: exchange.declare passive)', async () => {
    const { ch } = await open(broker.url);
    const x = uniqueName('missing');
    await expectChannelClose(ch, () => ch.checkExchange(x), Reply.NOT_FOUND, `NOT_FOUND - no exchange '${x}' in vhost '/'`);
  });

  test('exchange.declare with a different type closes the channel with 406 inequivalent arg \'type\' (spec: exchange.declare equivalence)', async () => {
    const { ch } = await open(broker.url);
    const x = cleanup.exchange(uniqueName('x'));
    await ch.assertExchange(x, 'direct', { durable: false });
    await expectChannelClose(
      ch,
      () => ch.assertExchange(x, 'fanout', { durable: false }),
      Reply.PRECONDITION_FAILED,
      `PRECONDITION_FAILED - inequivalent arg 'type' for exchange '${x}' in vhost '/': received 'fanout' but current is 'direct'`,
    );
  });

  test('exchange.declare with a different durable closes the channel with 406 inequivalent arg \'durable\'', async () => {
    const { ch } = await open(broker.url);
    const x = cleanup.exchange(uniqueName('x'));
    await ch.assertExchange(x, 'direct', { durable: false });
    await expectChannelClose(
      ch,
      () => ch.assertExchange(x, 'direct', { durable: true }),
      Reply.PRECONDITION_FAILED,
      `PRECONDITION_FAILED - inequivalent arg 'durable' for exchange '${x}' in vhost '/': received 'true' but current is 'false'`,
    );
  });

  test('exchange.declare with an amq. prefix is refused with 403 ACCESS_REFUSED (spec: exchange.declare reserved names)', async () => {
    const { ch } = await open(broker.url);
    const x = `amq.${uniqueName('x')}`;
    await expectChannelClose(
      ch,
      () => ch.assertExchange(x, 'direct', { durable: false }),
      Reply.ACCESS_REFUSED,
      `ACCESS_REFUSED - exchange name '${x}' contains reserved prefix 'amq.*'`,
    );
  });

  test('exchange.declare with an unknown type closes the connection with 503 COMMAND_INVALID, a hard error (spec: exchange.declare type)', async () => {
    const { conn, ch } = await open(broker.url);
    const x = uniqueName('x');
    await expectConnectionClose(
      conn,
      () => ch.assertExchange(x, 'no-such-type', { durable: false }),
      Reply.COMMAND_INVALID,
      "COMMAND_INVALID - unknown exchange type 'no-such-type'",
    );
  });

  test('exchange.delete removes the exchange; deleting a missing exchange succeeds (spec: exchange.delete)', async () => {
    const { ch } = await open(broker.url);
    const x = uniqueName('x');
    await ch.assertExchange(x, 'fanout', { durable: false });
    await ch.deleteExchange(x);
    expect(await exchangeExists(broker.url, x)).toBe(false);
    await ch.deleteExchange(uniqueName('never'));
  });

  test('exchange.delete if-unused on an exchange with a binding closes the channel with 406 (spec: exchange.delete if-unused)', async () => {
    const { conn, ch } = await open(broker.url);
    const x = cleanup.exchange(uniqueName('x'));
    await ch.assertExchange(x, 'fanout', { durable: false });
    await boundQueue(ch, x, ['']);
    const ch2 = await channel(conn);
    await expectChannelClose(ch2, () => ch2.deleteExchange(x, { ifUnused: true }), Reply.PRECONDITION_FAILED, `PRECONDITION_FAILED - exchange '${x}' in vhost '/' in use`);
    await ch.checkExchange(x);
  });

  test('exchange.delete if-unused on an exchange without bindings deletes it', async () => {
    const { ch } = await open(broker.url);
    const x = uniqueName('x');
    await ch.assertExchange(x, 'fanout', { durable: false });
    await ch.deleteExchange(x, { ifUnused: true });
    expect(await exchangeExists(broker.url, x)).toBe(false);
  });

  test('the default exchange cannot be deleted: 403 ACCESS_REFUSED (RabbitMQ: default exchange)', async () => {
    const { ch } = await open(broker.url);
    await expectChannelClose(ch, () => ch.deleteExchange(''), Reply.ACCESS_REFUSED, 'ACCESS_REFUSED - operation not permitted on the default exchange');
  });

  test('a queue cannot be bound to the default exchange: 403 ACCESS_REFUSED (RabbitMQ: default exchange)', async () => {
    const { ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true });
    await expectChannelClose(ch, () => ch.bindQueue(q.queue, '', 'other'), Reply.ACCESS_REFUSED, 'ACCESS_REFUSED - operation not permitted on the default exchange');
  });

  test('a queue cannot be unbound from the default exchange: 403 ACCESS_REFUSED (RabbitMQ: default exchange)', async () => {
    const { ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true });
    await expectChannelClose(ch, () => ch.unbindQueue(q.queue, '', q.queue), Reply.ACCESS_REFUSED, 'ACCESS_REFUSED - operation not permitted on the default exchange');
  });

  test('publishing to a missing exchange closes the channel with 404 NOT_FOUND (spec: basic.publish exchange)', async () => {
    const { ch } = await open(broker.url);
    const x = uniqueName('nox');
    await expectChannelClose(ch, () => ch.publish(x, 'rk', Buffer.from('lost')), Reply.NOT_FOUND, `NOT_FOUND - no exchange '${x}' in vhost '/'`);
  });

  test('publishing to an internal exchange is refused with 403 ACCESS_REFUSED (RabbitMQ: internal exchanges)', async () => {
    const { ch } = await open(broker.url);
    const x = cleanup.exchange(uniqueName('internal'));
    await ch.assertExchange(x, 'fanout', { durable: false, internal: true });
    await expectChannelClose(
      ch,
      () => ch.publish(x, '', Buffer.from('nope')),
      Reply.ACCESS_REFUSED,
      `ACCESS_REFUSED - cannot publish to internal exchange '${x}' in vhost '/'`,
    );
  });

  test('an internal exchange still routes what reaches it through an exchange-to-exchange binding (RabbitMQ: internal exchanges)', async () => {
    const { ch } = await open(broker.url);
    const front = cleanup.exchange(uniqueName('front'));
    const inner = cleanup.exchange(uniqueName('inner'));
    await ch.assertExchange(front, 'fanout', { durable: false });
    await ch.assertExchange(inner, 'fanout', { durable: false, internal: true });
    await ch.bindExchange(inner, front, '');
    const q = await boundQueue(ch, inner, ['']);
    const [got] = await publishAndCollect(ch, [q], () => ch.publish(front, '', Buffer.from('via-inner')));
    expect(got).toEqual(['via-inner']);
  });

  test('direct exchange routes on exact routing-key equality, to every matching queue once (spec: direct exchange)', async () => {
    const { ch } = await open(broker.url);
    const x = cleanup.exchange(uniqueName('direct'));
    await ch.assertExchange(x, 'direct', { durable: false });
    const q1 = await boundQueue(ch, x, ['red', 'green']);
    const q2 = await boundQueue(ch, x, ['red']);
    const [a, b] = await publishAndCollect(ch, [q1, q2], () => {
      ch.publish(x, 'red', Buffer.from('r'));
      ch.publish(x, 'green', Buffer.from('g'));
      ch.publish(x, 'blue', Buffer.from('b'));
      ch.publish(x, 'Red', Buffer.from('R'));
    });
    expect(a).toEqual(['r', 'g']);
    expect(b).toEqual(['r']);
  });

  test('fanout exchange ignores the routing key and copies to every bound queue (spec: fanout exchange)', async () => {
    const { ch } = await open(broker.url);
    const x = cleanup.exchange(uniqueName('fanout'));
    await ch.assertExchange(x, 'fanout', { durable: false });
    const q1 = await boundQueue(ch, x, ['a']);
    const q2 = await boundQueue(ch, x, ['whatever']);
    const got = await publishAndCollect(ch, [q1, q2], () => {
      ch.publish(x, 'zzz', Buffer.from('1'));
      ch.publish(x, '', Buffer.from('2'));
    });
    expect(got).toEqual([
      ['1', '2'],
      ['1', '2'],
    ]);
  });

  test('topic exchange: * matches exactly one word, # matches zero or more words (spec: topic exchange)', async () => {
    const { ch } = await open(broker.url);
    const x = cleanup.exchange(uniqueName('topic'));
    await ch.assertExchange(x, 'topic', { durable: false });
    const star = await boundQueue(ch, x, ['*.orange.*']);
    const hashTail = await boundQueue(ch, x, ['lazy.#']);
    const starTail = await boundQueue(ch, x, ['*.*.rabbit']);
    const hashOnly = await boundQueue(ch, x, ['#']);
    const hashMid = await boundQueue(ch, x, ['a.#.z']);
    const keys = [
      'quick.orange.rabbit',
      'lazy.orange.elephant',
      'quick.orange.fox',
      'lazy.brown.fox',
      'lazy',
      'quick.brown.fox',
      'orange',
      'quick.orange.male.rabbit',
      'a.z',
      'a.b.c.z',
      'a.b.c',
      '',
    ];
    const [s, ht, st, ho, hm] = await publishAndCollect(ch, [star, hashTail, starTail, hashOnly, hashMid], () => {
      for (const k of keys) ch.publish(x, k, Buffer.from(k === '' ? '<empty>' : k));
    });
    expect(s).toEqual(['quick.orange.rabbit', 'lazy.orange.elephant', 'quick.orange.fox']);
    expect(ht).toEqual(['lazy.orange.elephant', 'lazy.brown.fox', 'lazy']);
    expect(st).toEqual(['quick.orange.rabbit']);
    expect(ho).toEqual(keys.map((k) => (k === '' ? '<empty>' : k)));
    expect(hm).toEqual(['a.z', 'a.b.c.z']);
  });

  test('topic exchange: a message matching several bindings of one queue is delivered once (spec: topic exchange)', async () => {
    const { ch } = await open(broker.url);
    const x = cleanup.exchange(uniqueName('topic'));
    await ch.assertExchange(x, 'topic', { durable: false });
    const q = await boundQueue(ch, x, ['a.*', '#', 'a.b', '*.b']);
    const [got] = await publishAndCollect(ch, [q], () => ch.publish(x, 'a.b', Buffer.from('once')));
    expect(got).toEqual(['once']);
  });

  test('headers exchange x-match all requires every bound header to match; x-match any requires one (spec: headers exchange)', async () => {
    const { ch } = await open(broker.url);
    const x = cleanup.exchange(uniqueName('headers'));
    await ch.assertExchange(x, 'headers', { durable: false });
    const all = await boundQueue(ch, x, [''], { 'x-match': 'all', format: 'pdf', type: 'report' });
    const any = await boundQueue(ch, x, [''], { 'x-match': 'any', format: 'pdf', type: 'report' });
    const dflt = await boundQueue(ch, x, [''], { format: 'pdf', type: 'report' });
    const [a, b, d] = await publishAndCollect(ch, [all, any, dflt], () => {
      ch.publish(x, '', Buffer.from('both'), { headers: { format: 'pdf', type: 'report' } });
      ch.publish(x, '', Buffer.from('both+extra'), { headers: { format: 'pdf', type: 'report', extra: 1 } });
      ch.publish(x, '', Buffer.from('format'), { headers: { format: 'pdf' } });
      ch.publish(x, '', Buffer.from('wrong-value'), { headers: { format: 'zip', type: 'log' } });
      ch.publish(x, '', Buffer.from('none'));
    });
    expect(a).toEqual(['both', 'both+extra']);
    expect(b).toEqual(['both', 'both+extra', 'format']);
    // x-match defaults to all
    expect(d).toEqual(['both', 'both+extra']);
  });

  test('headers exchange: a binding with only x-match all matches every message; the routing key is ignored', async () => {
    const { ch } = await open(broker.url);
    const x = cleanup.exchange(uniqueName('headers'));
    await ch.assertExchange(x, 'headers', { durable: false });
    const q = await boundQueue(ch, x, ['ignored'], { 'x-match': 'all' });
    const [got] = await publishAndCollect(ch, [q], () => {
      ch.publish(x, 'anything', Buffer.from('1'), { headers: { a: 1 } });
      ch.publish(x, '', Buffer.from('2'));
    });
    expect(got).toEqual(['1', '2']);
  });

  test('exchange.bind routes from source to destination exchange; exchange.unbind stops it (spec: exchange.bind, RabbitMQ e2e bindings)', async () => {
    const { ch } = await open(broker.url);
    const src = cleanup.exchange(uniqueName('src'));
    const dst = cleanup.exchange(uniqueName('dst'));
    await ch.assertExchange(src, 'direct', { durable: false });
    await ch.assertExchange(dst, 'fanout', { durable: false });
    await ch.bindExchange(dst, src, 'go');
    const q = await boundQueue(ch, dst, ['']);
    const [first] = await publishAndCollect(ch, [q], () => {
      ch.publish(src, 'go', Buffer.from('routed'));
      ch.publish(src, 'stop', Buffer.from('not-routed'));
    });
    expect(first).toEqual(['routed']);
    await ch.unbindExchange(dst, src, 'go');
    const [second] = await publishAndCollect(ch, [q], () => ch.publish(src, 'go', Buffer.from('after-unbind')));
    expect(second).toEqual([]);
  });

  test('exchange.bind with a missing source or destination closes the channel with 404 NOT_FOUND (spec: exchange.bind)', async () => {
    const { conn, ch } = await open(broker.url);
    const x = cleanup.exchange(uniqueName('x'));
    await ch.assertExchange(x, 'fanout', { durable: false });
    const missing = uniqueName('missing');
    await expectChannelClose(ch, () => ch.bindExchange(x, missing, ''), Reply.NOT_FOUND, `NOT_FOUND - no exchange '${missing}' in vhost '/'`);
    const ch2 = await channel(conn);
    await expectChannelClose(ch2, () => ch2.bindExchange(missing, x, ''), Reply.NOT_FOUND, `NOT_FOUND - no exchange '${missing}' in vhost '/'`);
  });

  test('a cycle of exchange-to-exchange bindings delivers each message once per queue and does not loop (RabbitMQ: e2e routing)', async () => {
    const { ch } = await open(broker.url);
    const a = cleanup.exchange(uniqueName('cyc-a'));
    const b = cleanup.exchange(uniqueName('cyc-b'));
    const c = cleanup.exchange(uniqueName('cyc-c'));
    for (const x of [a, b, c]) await ch.assertExchange(x, 'fanout', { durable: false });
    await ch.bindExchange(b, a, '');
    await ch.bindExchange(c, b, '');
    await ch.bindExchange(a, c, '');
    const qa = await boundQueue(ch, a, ['']);
    const qc = await boundQueue(ch, c, ['']);
    // one queue reachable along two paths
    const qboth = await boundQueue(ch, b, ['']);
    await ch.bindQueue(qboth, c, '');
    const got = await publishAndCollect(ch, [qa, qc, qboth], () => {
      ch.publish(a, '', Buffer.from('m1'));
      ch.publish(b, '', Buffer.from('m2'));
    });
    expect(got).toEqual([
      ['m1', 'm2'],
      ['m1', 'm2'],
      ['m1', 'm2'],
    ]);
  });

  test('a self-binding exchange (source = destination) routes once and does not loop', async () => {
    const { ch } = await open(broker.url);
    const x = cleanup.exchange(uniqueName('self'));
    await ch.assertExchange(x, 'fanout', { durable: false });
    await ch.bindExchange(x, x, '');
    const q = await boundQueue(ch, x, ['']);
    const [got] = await publishAndCollect(ch, [q], () => ch.publish(x, '', Buffer.from('one')));
    expect(got).toEqual(['one']);
  });

  test('alternate-exchange receives messages the exchange cannot route (RabbitMQ: alternate exchanges)', async () => {
    const { ch } = await open(broker.url);
    const alt = cleanup.exchange(uniqueName('alt'));
    const main = cleanup.exchange(uniqueName('main'));
    await ch.assertExchange(alt, 'fanout', { durable: false });
    await ch.assertExchange(main, 'direct', { durable: false, alternateExchange: alt });
    const routed = await boundQueue(ch, main, ['known']);
    const unrouted = await boundQueue(ch, alt, ['']);
    const [r, u] = await publishAndCollect(ch, [routed, unrouted], () => {
      ch.publish(main, 'known', Buffer.from('known'));
      ch.publish(main, 'unknown', Buffer.from('unknown'));
    });
    expect(r).toEqual(['known']);
    expect(u).toEqual(['unknown']);
  });

  test('a mandatory message routed only by the alternate exchange is not returned (RabbitMQ: alternate exchanges)', async () => {
    const { ch } = await open(broker.url);
    const alt = cleanup.exchange(uniqueName('alt'));
    const main = cleanup.exchange(uniqueName('main'));
    await ch.assertExchange(alt, 'fanout', { durable: false });
    await ch.assertExchange(main, 'direct', { durable: false, alternateExchange: alt });
    const unrouted = await boundQueue(ch, alt, ['']);
    const returned: string[] = [];
    ch.on('return', (m: amqp.Message) => returned.push(m.content.toString()));
    const [u] = await publishAndCollect(ch, [unrouted], () => ch.publish(main, 'nobody', Buffer.from('alt'), { mandatory: true }));
    expect(u).toEqual(['alt']);
    expect(returned).toEqual([]);
  });

  test('an alternate-exchange naming a missing exchange drops unroutable messages without error', async () => {
    const { ch } = await open(broker.url);
    const main = cleanup.exchange(uniqueName('main'));
    await ch.assertExchange(main, 'direct', { durable: false, alternateExchange: uniqueName('absent') });
    const q = await boundQueue(ch, main, ['k']);
    const [got] = await publishAndCollect(ch, [q], () => {
      ch.publish(main, 'nobody', Buffer.from('dropped'));
      ch.publish(main, 'k', Buffer.from('kept'));
    });
    expect(got).toEqual(['kept']);
  });

  test('an auto-delete exchange is deleted when its last binding is removed (spec: exchange.declare auto-delete)', async () => {
    const { ch } = await open(broker.url);
    const x = cleanup.exchange(uniqueName('ad'));
    await ch.assertExchange(x, 'fanout', { durable: false, autoDelete: true });
    const q = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(q.queue, x, '');
    expect(await exchangeExists(broker.url, x)).toBe(true);
    await ch.unbindQueue(q.queue, x, '');
    expect(await exchangeExists(broker.url, x)).toBe(false);
  });

  test('deleting an exchange removes its bindings: a re-declared exchange routes nowhere (spec: exchange.delete)', async () => {
    const { ch } = await open(broker.url);
    const x = cleanup.exchange(uniqueName('x'));
    await ch.assertExchange(x, 'fanout', { durable: false });
    const q = await boundQueue(ch, x, ['']);
    await ch.deleteExchange(x);
    await ch.assertExchange(x, 'fanout', { durable: false });
    ch.publish(x, '', Buffer.from('nowhere'));
    ch.sendToQueue(q, Buffer.from('marker'));
    await waitForReady(ch, q, 1);
    expect(await drain(ch, q)).toEqual(['marker']);
  });
});
