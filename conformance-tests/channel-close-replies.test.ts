/**
 * A channel answers every synchronous request it received before channel.close, in order, and only then sends
 * close-ok (RabbitMQ's channel handles its mailbox in order). Durable declares and deletes, and tx.commit, wait for
 * the store before their reply; a close arriving meanwhile must not swallow that reply.
 */
import { RawClient, MethodId } from './support/raw';
import { cleanup, connect, setupBroker, uniqueName, withTimeout } from './support/broker';

const broker = setupBroker();

/** The methods the server sends on `channel`, in order, until channel.close-ok (heartbeats skipped). */
async function repliesUntilCloseOk(client: RawClient, channel: number): Promise<number[]> {
  const ids: number[] = [];
  for (;;) {
    const m = await client.nextMethod(5000);
    if (m === 'closed') throw new Error(`socket closed after ${ids.map((id) => id.toString(16)).join(',')}`);
    if (m.channel !== channel) continue;
    ids.push(m.id);
    if (m.id === MethodId.ChannelCloseOk) return ids;
  }
}

const CLOSE = { replyCode: 200, replyText: 'bye', classId: 0, methodId: 0 };

describe('replies owed when the client closes a channel', () => {
  test('durable queue.declare and queue.delete pipelined with channel.close: declare-ok, delete-ok, then close-ok', async () => {
    const client = await RawClient.connect(broker.url);
    const queue = cleanup.queue(uniqueName('close-replies'));
    try {
      await client.openChannel(1);
      client.sendMethod(1, MethodId.QueueDeclare, { queue, passive: false, durable: true, exclusive: false, autoDelete: false, noWait: false, arguments: {} });
      client.sendMethod(1, MethodId.QueueDelete, { queue, ifUnused: false, ifEmpty: false, noWait: false });
      client.sendMethod(1, MethodId.ChannelClose, CLOSE);
      expect(await repliesUntilCloseOk(client, 1)).toEqual([MethodId.QueueDeclareOk, MethodId.QueueDeleteOk, MethodId.ChannelCloseOk]);
    } finally {
      await client.close();
    }
  });

  test('tx.commit of a persistent message to a durable queue, then channel.close: commit-ok before close-ok', async () => {
    const client = await RawClient.connect(broker.url);
    const queue = cleanup.queue(uniqueName('close-replies-tx'));
    try {
      await client.openChannel(1);
      client.sendMethod(1, MethodId.QueueDeclare, { queue, passive: false, durable: true, exclusive: false, autoDelete: false, noWait: false, arguments: {} });
      await client.expectMethod(MethodId.QueueDeclareOk);
      client.sendMethod(1, MethodId.TxSelect, {});
      await client.expectMethod(MethodId.TxSelectOk);
      const publisher = await connect(broker.url);
      try {
        const ch = await publisher.createConfirmChannel();
        ch.sendToQueue(queue, Buffer.from('kept'), { persistent: true });
        await ch.waitForConfirms();
      } finally {
        await publisher.close();
      }
      client.sendMethod(1, MethodId.TxCommit, {});
      client.sendMethod(1, MethodId.QueueDelete, { queue, ifUnused: false, ifEmpty: false, noWait: false });
      client.sendMethod(1, MethodId.ChannelClose, CLOSE);
      expect(await repliesUntilCloseOk(client, 1)).toEqual([MethodId.TxCommitOk, MethodId.QueueDeleteOk, MethodId.ChannelCloseOk]);
    } finally {
      await client.close();
    }
  });

  test("a consumer on the queue its own channel deletes hears basic.cancel after delete-ok", async () => {
    const client = await RawClient.connect(broker.url, {
      clientProperties: { product: 'leveret-conformance-raw', capabilities: { consumer_cancel_notify: true } },
    });
    const queue = cleanup.queue(uniqueName('close-replies-cancel'));
    try {
      await client.openChannel(1);
      client.sendMethod(1, MethodId.QueueDeclare, { queue, passive: false, durable: true, exclusive: false, autoDelete: false, noWait: false, arguments: {} });
      await client.expectMethod(MethodId.QueueDeclareOk);
      client.sendMethod(1, MethodId.BasicConsume, { queue, consumerTag: 'mine', noLocal: false, noAck: false, exclusive: false, noWait: false, arguments: {} });
      await client.expectMethod(MethodId.BasicConsumeOk);
      client.sendMethod(1, MethodId.QueueDelete, { queue, ifUnused: false, ifEmpty: false, noWait: false });
      expect(await client.expectMethod(MethodId.QueueDeleteOk)).toEqual({ messageCount: 0 });
      expect(await client.expectMethod(MethodId.BasicCancel)).toMatchObject({ consumerTag: 'mine' });
    } finally {
      await client.close();
    }
  });

  test("amqplib: deleting the queue its own consumer is on and closing the channel on the cancel: the delete succeeds", async () => {
    const conn = await connect(broker.url);
    const queue = cleanup.queue(uniqueName('close-replies-amqplib'));
    try {
      const ch = await conn.createChannel();
      await ch.assertQueue(queue, { durable: true });
      let closing: Promise<void> | undefined;
      await ch.consume(queue, (msg) => {
        // null: the broker cancelled the consumer (its queue is being deleted); close the channel right away.
        if (msg === null) closing = ch.close();
      });
      const deleted = await withTimeout(ch.deleteQueue(queue), 5000, 'queue.delete-ok');
      expect(deleted).toEqual({ messageCount: 0 });
      expect(closing).toBeDefined();
      await withTimeout(closing as Promise<void>, 5000, 'channel.close-ok');
    } finally {
      await conn.close();
    }
  });
});
