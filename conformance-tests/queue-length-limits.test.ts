/**
 * Queue length limits: x-max-length, x-max-length-bytes and x-overflow (drop-head, reject-publish,
 * reject-publish-dlx), with their dead letters. RabbitMQ 3.10 is the judge: every test here passes against it.
 *
 * Timing: TTLs are 30-300 ms; "has not arrived" is checked after the TTL with a basic.get or a message count,
 * "has arrived" with `eventually`/`waitForReady`, never with a long sleep.
 */
import type * as amqp from 'amqplib';
import {
  cleanup,
  confirmChannel,
  connect,
  delay,
  drain,
  getOne,
  headersOf,
  open,
  publishOutcome,
  setupBroker,
  uniqueName,
  waitForReady,
  withTimeout,
  xDeath,
} from './support/broker';
import { deadLetterSink } from './support/dead-letters';

const broker = setupBroker();

describe('length limits', () => {
  test('x-max-length with the default overflow drops from the head (RabbitMQ: drop-head)', async () => {
    const conn = await connect(broker.url);
    const ch = await confirmChannel(conn);
    const q = await ch.assertQueue('', { exclusive: true, maxLength: 2 });
    for (const b of ['1', '2', '3', '4', '5']) ch.sendToQueue(q.queue, Buffer.from(b));
    await withTimeout(ch.waitForConfirms(), 5000, 'confirms');
    expect((await ch.checkQueue(q.queue)).messageCount).toBe(2);
    expect(await drain(ch, q.queue)).toEqual(['4', '5']);
  });

  test('x-max-length 0: every message is dropped on arrival (RabbitMQ: max length)', async () => {
    const conn = await connect(broker.url);
    const ch = await confirmChannel(conn);
    const q = await ch.assertQueue('', { exclusive: true, maxLength: 0 });
    expect(await publishOutcome(ch, '', q.queue, 'gone')).toBe('ack');
    expect((await ch.checkQueue(q.queue)).messageCount).toBe(0);
  });

  test('x-max-length-bytes counts body bytes only and drops from the head (RabbitMQ: max length bytes)', async () => {
    const conn = await connect(broker.url);
    const ch = await confirmChannel(conn);
    const q = await ch.assertQueue('', { exclusive: true, arguments: { 'x-max-length-bytes': 10 } });
    // 5 + 5 body bytes fit exactly, however large the headers
    ch.sendToQueue(q.queue, Buffer.from('aaaaa'), { headers: { big: 'h'.repeat(200) } });
    ch.sendToQueue(q.queue, Buffer.from('bbbbb'), { messageId: 'm'.repeat(100) });
    await withTimeout(ch.waitForConfirms(), 5000, 'confirms');
    expect((await ch.checkQueue(q.queue)).messageCount).toBe(2);
    // one more byte: the head goes
    ch.sendToQueue(q.queue, Buffer.from('c'));
    await withTimeout(ch.waitForConfirms(), 5000, 'confirms');
    expect(await drain(ch, q.queue)).toEqual(['bbbbb', 'c']);
    // a message larger than the limit on its own does not stay
    ch.sendToQueue(q.queue, Buffer.from('x'.repeat(11)));
    await withTimeout(ch.waitForConfirms(), 5000, 'confirms');
    expect((await ch.checkQueue(q.queue)).messageCount).toBe(0);
  });

  test('x-dead-letter-exchange: messages dropped by x-max-length are dead-lettered with reason maxlen', async () => {
    const { ch } = await open(broker.url);
    const dlx = cleanup.exchange(uniqueName('dlx'));
    await ch.assertExchange(dlx, 'fanout', { durable: false });
    const dead = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(dead.queue, dlx, '');
    const work = await ch.assertQueue('', { exclusive: true, deadLetterExchange: dlx, maxLength: 1 });
    ch.sendToQueue(work.queue, Buffer.from('first'));
    ch.sendToQueue(work.queue, Buffer.from('second'));
    await waitForReady(ch, dead.queue, 1);
    const d = await ch.get(dead.queue, { noAck: true });
    expect(d && d.content.toString()).toBe('first');
    if (!d) throw new Error('no dead letter');
    expect(xDeath(d)[0]).toEqual(expect.objectContaining({ reason: 'maxlen', queue: work.queue, count: 1, exchange: '' }));
    expect(headersOf(d)['x-first-death-reason']).toBe('maxlen');
    expect(await drain(ch, work.queue)).toEqual(['second']);
  });

  test('a publish refused by x-overflow reject-publish is nacked (RabbitMQ: basic.nack for publisher confirms)', async () => {
    const conn = await connect(broker.url);
    const ch = await confirmChannel(conn);
    const q = await ch.assertQueue('', { exclusive: true, maxLength: 1, overflow: 'reject-publish' });
    const outcomes: string[] = [];
    ch.sendToQueue(q.queue, Buffer.from('fits'), {}, (err) => outcomes.push(err ? 'nack' : 'ack'));
    ch.sendToQueue(q.queue, Buffer.from('overflows'), {}, (err) => outcomes.push(err ? 'nack' : 'ack'));
    await ch.waitForConfirms().catch(() => undefined);
    expect(outcomes).toEqual(['ack', 'nack']);
    expect((await ch.checkQueue(q.queue)).messageCount).toBe(1);
  });

  test('x-overflow reject-publish: the refused message is not enqueued, the queue keeps its oldest (RabbitMQ: reject-publish)', async () => {
    const conn = await connect(broker.url);
    const ch = await confirmChannel(conn);
    const returns: string[] = [];
    ch.on('return', (m: amqp.Message) => returns.push(m.content.toString()));
    const q = await ch.assertQueue('', { exclusive: true, maxLength: 2, overflow: 'reject-publish' });
    expect(await publishOutcome(ch, '', q.queue, 'r0')).toBe('ack');
    expect(await publishOutcome(ch, '', q.queue, 'r1')).toBe('ack');
    expect(await publishOutcome(ch, '', q.queue, 'r2')).toBe('nack');
    // mandatory makes no difference: a full queue is not "no route", so nothing is returned
    expect(await publishOutcome(ch, '', q.queue, 'r3', { mandatory: true })).toBe('nack');
    expect(returns).toEqual([]);
    expect(await drain(ch, q.queue)).toEqual(['r0', 'r1']);
    // with room again, publishes are accepted
    expect(await publishOutcome(ch, '', q.queue, 'r4')).toBe('ack');
    expect(await drain(ch, q.queue)).toEqual(['r4']);
  });

  test('x-overflow reject-publish: a message routed to a full queue and another queue is nacked, the other queue still gets it', async () => {
    const conn = await connect(broker.url);
    const ch = await confirmChannel(conn);
    const x = cleanup.exchange(uniqueName('fan'));
    await ch.assertExchange(x, 'fanout', { durable: false });
    const full = await ch.assertQueue('', { exclusive: true, maxLength: 0, overflow: 'reject-publish' });
    const other = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(full.queue, x, '');
    await ch.bindQueue(other.queue, x, '');
    expect(await publishOutcome(ch, x, '', 'both')).toBe('nack');
    expect(await drain(ch, other.queue)).toEqual(['both']);
    expect((await ch.checkQueue(full.queue)).messageCount).toBe(0);
  });

  test('x-overflow reject-publish without confirms: the refused message is dropped silently, the channel stays open', async () => {
    const { ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true, maxLength: 1, overflow: 'reject-publish' });
    ch.sendToQueue(q.queue, Buffer.from('kept'));
    ch.sendToQueue(q.queue, Buffer.from('refused'));
    ch.sendToQueue(q.queue, Buffer.from('refused too'));
    await waitForReady(ch, q.queue, 1);
    await delay(50);
    expect(await drain(ch, q.queue)).toEqual(['kept']);
  });

  test('x-overflow reject-publish-dlx: the refused message is nacked and dead-lettered with reason maxlen (RabbitMQ: reject-publish-dlx)', async () => {
    const conn = await connect(broker.url);
    const ch = await confirmChannel(conn);
    const { dlx, dlq } = await deadLetterSink(ch);
    const q = await ch.assertQueue('', { exclusive: true, maxLength: 1, overflow: 'reject-publish-dlx', deadLetterExchange: dlx });
    expect(await publishOutcome(ch, '', q.queue, 'd0')).toBe('ack');
    expect(await publishOutcome(ch, '', q.queue, 'd1')).toBe('nack');
    expect(await publishOutcome(ch, '', q.queue, 'd2')).toBe('nack');
    await waitForReady(ch, dlq, 2);
    const dead = [await getOne(ch, dlq), await getOne(ch, dlq)];
    expect(dead.map((m) => m.content.toString())).toEqual(['d1', 'd2']);
    for (const d of dead) {
      expect(xDeath(d)).toEqual([expect.objectContaining({ count: 1, reason: 'maxlen', queue: q.queue, exchange: '', 'routing-keys': [q.queue] })]);
    }
    expect(await drain(ch, q.queue)).toEqual(['d0']);
  });

  test('x-overflow drop-head dead-letters the dropped head, the newest stays (RabbitMQ: drop-head with DLX)', async () => {
    const conn = await connect(broker.url);
    const ch = await confirmChannel(conn);
    const { dlx, dlq } = await deadLetterSink(ch);
    const q = await ch.assertQueue('', { exclusive: true, maxLength: 2, overflow: 'drop-head', deadLetterExchange: dlx });
    for (const b of ['h1', 'h2', 'h3', 'h4']) expect(await publishOutcome(ch, '', q.queue, b)).toBe('ack');
    await waitForReady(ch, dlq, 2);
    expect(await drain(ch, dlq)).toEqual(['h1', 'h2']);
    expect(await drain(ch, q.queue)).toEqual(['h3', 'h4']);
  });
});
