/**
 * Helpers for the durability tests (conformance-tests/durability/): restart a child broker, prove writes are on
 * disk, publish with confirms, take a whole queue.
 *
 * What "durable" promises, and so what the tests wait for before a kill -9:
 *  - a persistent message is on disk once its publisher confirm arrived, or once tx.commit-ok arrived;
 *  - other writes (declarations, bindings, delivery marks, acks) are group-committed in order with the messages,
 *    so a confirm for a message published after them proves they are on disk too. `barrier()` does exactly that.
 *  A SIGTERM flushes everything, so no barrier is needed before one.
 */
import type * as amqp from 'amqplib';
import { closeAll, confirmChannel, connect, Inbox, withTimeout } from './broker';
import { startChildBroker, type ChildBroker } from './child-broker';

export type Stop = 'SIGTERM' | 'kill -9';

const BARRIER_QUEUE = 'durability.barrier';
/**
 * Proves that every write the broker accepted before this call is on disk: group commit is in order, so the
 * confirm of a persistent message published now comes after the commit of everything before it.
 */
export async function barrier(url: string): Promise<void> {
  const conn = await connect(url);
  const ch = await confirmChannel(conn);
  await ch.assertQueue(BARRIER_QUEUE, { durable: true });
  ch.sendToQueue(BARRIER_QUEUE, Buffer.from('barrier'), { persistent: true });
  await withTimeout(ch.waitForConfirms(), 5000, 'barrier confirm');
  await conn.close();
}

/** Stops the broker (SIGTERM: must exit 0) and starts a new one on the same data directory. */
export async function restart(broker: ChildBroker, how: Stop): Promise<ChildBroker> {
  if (how === 'SIGTERM') {
    const code = await broker.stop('SIGTERM');
    expect(code).toBe(0);
  } else {
    await broker.kill9();
  }
  await closeAll();
  return startChildBroker({ dataDir: broker.dataDir });
}

/** Publishes on a confirm channel and waits for the confirms. */
export async function publishConfirmed(
  ch: amqp.ConfirmChannel,
  exchange: string,
  routingKey: string,
  bodies: Array<string | Buffer>,
  options: amqp.Options.Publish = {},
): Promise<void> {
  for (const b of bodies) ch.publish(exchange, routingKey, typeof b === 'string' ? Buffer.from(b) : b, options);
  await withTimeout(ch.waitForConfirms(), 10_000, 'publisher confirms');
}

/**
 * Everything in the queue, in queue order: as many messages as queue.declare-ok counts, consumed with no-ack, then
 * a basic.get to check nothing was left. (Not basic.get + ack per message: an ack followed at once by the next get
 * is two small writes in a row, which Nagle's algorithm on amqplib's socket holds for a delayed TCP ACK, ~40 ms.)
 */
export async function takeAll(ch: amqp.Channel, queue: string): Promise<amqp.Message[]> {
  const { messageCount } = await ch.checkQueue(queue);
  const inbox = new Inbox();
  if (messageCount > 0) {
    const { consumerTag } = await ch.consume(queue, inbox.onMessage, { noAck: true });
    await inbox.waitFor(messageCount, 10_000);
    await ch.cancel(consumerTag);
  }
  const extra = await ch.get(queue, { noAck: true });
  if (extra !== false) throw new Error(`queue ${queue} held more than its message count said: ${extra.content.toString()}`);
  return inbox.messages;
}
