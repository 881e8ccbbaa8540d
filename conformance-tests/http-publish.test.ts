/**
 * POST /api/exchanges/{vhost}/{exchange}/publish reads the CC and BCC headers as basic.publish does: their keys route
 * the message, consumers see CC but never BCC, and a CC that is not an array is refused with the channel's 406 text
 * in a 400 (RabbitMQ's management plugin publishes on a channel of its own). Runs against RabbitMQ too.
 */
import type * as amqp from 'amqplib';
import { getAll } from './support/basic';
import { connect, headersOf, publishOutcome, uniqueName } from './support/broker';
import { httpPublish as publishOverHttp, managementTarget, type ManagementTarget } from './support/management-target';

let target: ManagementTarget;
let conn: amqp.ChannelModel;
let ch: amqp.ConfirmChannel;

jest.setTimeout(20000);
beforeAll(async () => {
  target = await managementTarget('HTTP publish tests');
  conn = await connect(target.amqpUrl);
  ch = await conn.createConfirmChannel();
});
afterAll(async () => {
  await conn.close();
  await target.close();
});

const httpPublish = (exchange: string, routingKey: string, payload: string, properties?: Record<string, unknown>) =>
  publishOverHttp(target, exchange, routingKey, payload, properties);
const takeAll = (q: string) => getAll(ch, q);

async function queue(): Promise<string> {
  return (await ch.assertQueue('', { exclusive: true })).queue;
}

describe('the HTTP publish reads CC and BCC as basic.publish does', () => {
  test('CC and BCC keys route the message; consumers see CC but never BCC', async () => {
    const x = uniqueName('cc-x');
    await ch.assertExchange(x, 'direct', { autoDelete: true });
    const [a, b, c] = [await queue(), await queue(), await queue()];
    await ch.bindQueue(a, x, 'a');
    await ch.bindQueue(b, x, 'b');
    await ch.bindQueue(c, x, 'c');
    expect(await httpPublish(x, 'a', 'http', { headers: { CC: ['b'], BCC: ['c'] } })).toBe(true);
    expect(await publishOutcome(ch, x, 'a', 'amqp', { CC: ['b'], BCC: ['c'] })).toBe('ack');
    for (const q of [a, b, c]) {
      const got = await takeAll(q);
      expect(got.map((m) => m.content.toString())).toEqual(['http', 'amqp']);
      for (const m of got) {
        expect(headersOf(m).CC).toEqual(['b']);
        expect(headersOf(m).BCC).toBeUndefined();
      }
    }
  });

  test('a CC header that is not an array is refused: 406 on the channel, 400 with that text over HTTP', async () => {
    const x = uniqueName('cc-bad');
    await ch.assertExchange(x, 'fanout', { autoDelete: true });
    const response = await fetch(`${target.httpUrl}/api/exchanges/%2F/${x}/publish`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ routing_key: '', properties: { headers: { CC: 'b' } }, payload: 'p', payload_encoding: 'string' }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { reason: string }).reason).toBe(
      '406 PRECONDITION_FAILED - invalid message: {unacceptable_type_in_header,"CC",longstr}',
    );
  });
});
