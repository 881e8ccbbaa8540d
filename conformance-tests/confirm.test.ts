/**
 * confirm class (RabbitMQ extension): publisher confirms.
 */
import type * as amqp from 'amqplib';
import { Reply } from './support/codes';
import { cleanup, confirmChannel, connect, expectChannelClose, channel, rpc, setupBroker, uniqueName } from './support/broker';

const broker = setupBroker();

describe('confirm', () => {
  test('confirm.select then every publish is acked; callbacks fire and waitForConfirms resolves (RabbitMQ: publisher confirms)', async () => {
    const conn = await connect(broker.url);
    const ch = await confirmChannel(conn);
    const q = await ch.assertQueue('', { exclusive: true });
    const acked: number[] = [];
    const n = 50;
    for (let i = 0; i < n; i++) {
      ch.sendToQueue(q.queue, Buffer.from(String(i)), {}, (err) => {
        if (err === null || err === undefined) acked.push(i);
      });
    }
    await ch.waitForConfirms();
    expect(acked.length).toBe(n);
    expect((await ch.checkQueue(q.queue)).messageCount).toBe(n);
  });

  test('confirm delivery tags count publishes from 1 on the channel (spec: confirm.select, basic.ack delivery-tag)', async () => {
    const conn = await connect(broker.url);
    const ch = await confirmChannel(conn);
    const q = await ch.assertQueue('', { exclusive: true });
    const tags: number[] = [];
    ch.on('ack', (f: { deliveryTag: number; multiple: boolean }) => tags.push(f.deliveryTag));
    for (let i = 0; i < 3; i++) ch.sendToQueue(q.queue, Buffer.from('x'));
    await ch.waitForConfirms();
    // acks may be coalesced with multiple=true; the highest tag is the publish count
    expect(Math.max(...tags)).toBe(3);
  });

  test('a confirmed persistent message to a durable queue is acked (RabbitMQ: confirm after persistence)', async () => {
    const conn = await connect(broker.url);
    const ch = await confirmChannel(conn);
    const q = cleanup.queue(uniqueName('durable'));
    await ch.assertQueue(q, { durable: true });
    ch.sendToQueue(q, Buffer.from('persist'), { persistent: true });
    await ch.waitForConfirms();
    expect((await ch.checkQueue(q)).messageCount).toBe(1);
  });

  test('an unroutable publish is still acked (spec: confirms for unroutable messages)', async () => {
    const conn = await connect(broker.url);
    const ch = await confirmChannel(conn);
    let result: unknown = 'pending';
    ch.publish('amq.direct', uniqueName('nobody'), Buffer.from('x'), {}, (err) => {
      result = err;
    });
    await ch.waitForConfirms();
    expect(result).toBeNull();
  });

  test('an unroutable mandatory publish gets basic.return before its basic.ack (RabbitMQ: return then ack)', async () => {
    const conn = await connect(broker.url);
    const ch = await confirmChannel(conn);
    const events: string[] = [];
    ch.on('return', (m: amqp.Message) => events.push(`return:${(m.fields as unknown as { replyCode: number }).replyCode}`));
    ch.publish('amq.direct', uniqueName('nobody'), Buffer.from('x'), { mandatory: true }, (err) => {
      events.push(err ? 'nack' : 'ack');
    });
    await ch.waitForConfirms();
    expect(events).toEqual([`return:${Reply.NO_ROUTE}`, 'ack']);
  });

  test('confirm.select on a channel in tx mode closes the channel with 406 PRECONDITION_FAILED (RabbitMQ: tx and confirm exclusive)', async () => {
    const conn = await connect(broker.url);
    const ch = await channel(conn);
    await rpc(ch, 'TxSelect', {}, 'TxSelectOk');
    await expectChannelClose(
      ch,
      () => rpc(ch, 'ConfirmSelect', { nowait: false }, 'ConfirmSelectOk'),
      Reply.PRECONDITION_FAILED,
      'PRECONDITION_FAILED - cannot switch from tx to confirm mode',
    );
  });

  test('tx.select on a channel in confirm mode closes the channel with 406 PRECONDITION_FAILED', async () => {
    const conn = await connect(broker.url);
    const ch = await confirmChannel(conn);
    await expectChannelClose(ch, () => rpc(ch, 'TxSelect', {}, 'TxSelectOk'), Reply.PRECONDITION_FAILED, 'PRECONDITION_FAILED - cannot switch from confirm to tx mode');
  });

  test('confirm.select twice is allowed (spec: confirm.select idempotent)', async () => {
    const conn = await connect(broker.url);
    const ch = await confirmChannel(conn);
    await rpc(ch, 'ConfirmSelect', { nowait: false }, 'ConfirmSelectOk');
    const q = await ch.assertQueue('', { exclusive: true });
    ch.sendToQueue(q.queue, Buffer.from('x'));
    await ch.waitForConfirms();
  });
});
