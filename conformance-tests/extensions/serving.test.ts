/**
 * Issue 17: a node that lost its lead handles nothing more its clients send. startBroker's `serving` (an
 * active/standby node passes its lease check, ha/node.ts) is asked per socket read; once it answers false, what was
 * read is dropped and the connection's socket is closed, before a publish is routed or an ack frees a delivery.
 */
import { startBroker, type RunningBroker } from '../../src/broker';
import { channel, connect, whenClosed } from '../support/broker';

describe('a broker whose node may no longer serve', () => {
  let broker: RunningBroker | undefined;
  let serving = true;
  beforeAll(async () => {
    broker = await startBroker({
      port: 0,
      amqp: { bind: ['127.0.0.1'] },
      http: { bind: ['127.0.0.1'], port: 0 },
      logLevel: 'silent',
      serving: () => serving,
    });
  });
  afterAll(async () => {
    await broker?.close();
  });

  it('drops what a client sends once serving() is false, and closes its socket', async () => {
    const conn = await connect(broker!.url);
    const ch = await channel(conn);
    await ch.assertQueue('served', { durable: false });
    ch.sendToQueue('served', Buffer.from('before'));
    const before = await ch.checkQueue('served');
    expect(before.messageCount).toBe(1);

    serving = false;
    const closed = whenClosed(conn);
    ch.sendToQueue('served', Buffer.from('after'));
    await closed;
    serving = true;

    const again = await connect(broker!.url);
    const check = await channel(again);
    const queue = await check.checkQueue('served');
    expect(queue.messageCount).toBe(1);
    const got = await check.get('served', { noAck: true });
    expect(got && got.content.toString()).toBe('before');
    await again.close();
  });
});
