/**
 * Leveret extension: x-last-death-reason/-queue/-exchange on every dead-lettering (RabbitMQ added them in 3.13;
 * 3.10, the suite's reference, sets only x-first-death-*). Leveret only (the `extensions` jest project).
 */
import { cleanup, eventually, getOne, headersOf, open, setupBroker, uniqueName, xDeath } from '../support/broker';

const broker = setupBroker();

describe('x-last-death-* (Leveret extension, RabbitMQ 3.13 behaviour)', () => {
  test('after an expiry in one queue and a rejection in the next, x-first-death-* name the first death and x-last-death-* the second', async () => {
    const { ch } = await open(broker.url);
    const first = cleanup.queue(uniqueName('first'));
    const second = cleanup.queue(uniqueName('second'));
    const sink = cleanup.queue(uniqueName('sink'));
    await ch.assertQueue(sink, { durable: false });
    await ch.assertQueue(second, { durable: false, deadLetterExchange: '', deadLetterRoutingKey: sink });
    await ch.assertQueue(first, { durable: false, messageTtl: 50, deadLetterExchange: '', deadLetterRoutingKey: second });
    ch.sendToQueue(first, Buffer.from('m'));
    const once = await eventually(async () => (await ch.get(second, { noAck: false })) || undefined, 2000, 'the expired message');
    expect(headersOf(once)).toEqual(
      expect.objectContaining({
        'x-first-death-reason': 'expired',
        'x-first-death-queue': first,
        'x-last-death-reason': 'expired',
        'x-last-death-queue': first,
        'x-last-death-exchange': '',
      }),
    );
    ch.reject(once, false);
    const twice = await getOne(ch, sink, 2000);
    expect(twice.content.toString()).toBe('m');
    expect(headersOf(twice)).toEqual(
      expect.objectContaining({
        'x-first-death-reason': 'expired',
        'x-first-death-queue': first,
        'x-first-death-exchange': '',
        'x-last-death-reason': 'rejected',
        'x-last-death-queue': second,
        'x-last-death-exchange': '',
      }),
    );
    expect(xDeath(twice).map((d) => [d.reason, d.queue, d.count])).toEqual([
      ['rejected', second, 1],
      ['expired', first, 1],
    ]);
  });
});
