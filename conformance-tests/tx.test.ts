/**
 * tx class: standard transactions over publishes and acks.
 */
import { Reply } from './support/codes';
import { channel, connect, delay, drain, expectChannelClose, open, rpc, setupBroker, waitForReady } from './support/broker';
import type * as amqp from 'amqplib';

const broker = setupBroker();

const txSelect = (ch: amqp.Channel) => rpc(ch, 'TxSelect', {}, 'TxSelectOk');
const txCommit = (ch: amqp.Channel) => rpc(ch, 'TxCommit', {}, 'TxCommitOk');
const txRollback = (ch: amqp.Channel) => rpc(ch, 'TxRollback', {}, 'TxRollbackOk');

describe('tx', () => {
  test('publishes in a transaction are routed only on tx.commit (spec: tx.commit)', async () => {
    const { conn, ch: observer } = await open(broker.url);
    const q = await observer.assertQueue('', { exclusive: true });
    const ch = await channel(conn);
    await txSelect(ch);
    ch.sendToQueue(q.queue, Buffer.from('t1'));
    ch.sendToQueue(q.queue, Buffer.from('t2'));
    await delay(50);
    expect((await observer.checkQueue(q.queue)).messageCount).toBe(0);
    await txCommit(ch);
    await waitForReady(observer, q.queue, 2);
    expect(await drain(observer, q.queue)).toEqual(['t1', 't2']);
  });

  test('tx.rollback discards the publishes of the transaction (spec: tx.rollback)', async () => {
    const { conn, ch: observer } = await open(broker.url);
    const q = await observer.assertQueue('', { exclusive: true });
    const ch = await channel(conn);
    await txSelect(ch);
    ch.sendToQueue(q.queue, Buffer.from('discard'));
    await txRollback(ch);
    ch.sendToQueue(q.queue, Buffer.from('keep'));
    await txCommit(ch);
    await waitForReady(observer, q.queue, 1);
    expect(await drain(observer, q.queue)).toEqual(['keep']);
  });

  test('acks in a transaction take effect only on commit; rollback leaves messages unacked (spec: tx.commit, tx.rollback)', async () => {
    const { conn, ch: observer } = await open(broker.url);
    const q = await observer.assertQueue('', { exclusive: true });
    for (const b of ['a', 'b']) observer.sendToQueue(q.queue, Buffer.from(b));
    await waitForReady(observer, q.queue, 2);
    const ch = await channel(conn);
    await txSelect(ch);
    const a = await ch.get(q.queue);
    const b = await ch.get(q.queue);
    if (!a || !b) throw new Error('expected two messages');
    ch.ack(a);
    await txRollback(ch);
    ch.ack(b);
    await txCommit(ch);
    // a's ack was rolled back: it is still unacked, so closing the channel requeues it; b is gone
    await ch.close();
    await waitForReady(observer, q.queue, 1);
    const left = await observer.get(q.queue, { noAck: true });
    expect(left && left.content.toString()).toBe('a');
    expect(left && left.fields.redelivered).toBe(true);
  });

  test('a transaction stays open after commit: later publishes wait for the next commit (spec: tx.select)', async () => {
    const { conn, ch: observer } = await open(broker.url);
    const q = await observer.assertQueue('', { exclusive: true });
    const ch = await channel(conn);
    await txSelect(ch);
    ch.sendToQueue(q.queue, Buffer.from('first'));
    await txCommit(ch);
    ch.sendToQueue(q.queue, Buffer.from('second'));
    await waitForReady(observer, q.queue, 1);
    await delay(30);
    expect((await observer.checkQueue(q.queue)).messageCount).toBe(1);
    await txCommit(ch);
    await waitForReady(observer, q.queue, 2);
  });

  test('tx.commit without tx.select closes the channel with 406 PRECONDITION_FAILED (spec: tx.commit)', async () => {
    const conn = await connect(broker.url);
    const ch = await channel(conn);
    await expectChannelClose(ch, () => txCommit(ch), Reply.PRECONDITION_FAILED, 'PRECONDITION_FAILED - channel is not transactional');
  });

  test('tx.rollback without tx.select closes the channel with 406 PRECONDITION_FAILED (spec: tx.rollback)', async () => {
    const conn = await connect(broker.url);
    const ch = await channel(conn);
    await expectChannelClose(ch, () => txRollback(ch), Reply.PRECONDITION_FAILED, 'PRECONDITION_FAILED - channel is not transactional');
  });

  test('tx.select twice is allowed', async () => {
    const conn = await connect(broker.url);
    const ch = await channel(conn);
    await txSelect(ch);
    await txSelect(ch);
    await txCommit(ch);
  });
});
