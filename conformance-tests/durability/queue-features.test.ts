/**
 * Durability of queue features across kill -9: message deadlines (x-message-ttl) keep counting from the publish,
 * dead-lettered messages keep their x-death, and delayed messages (x-delayed-message) survive and are delivered at
 * their due time, promptly after the restart when they fell due while the broker was down.
 *
 * Leveret only: each test starts its own child brokers (support/child-broker.ts) on a fresh temp data directory
 * and kills them with SIGKILL; AMQP_URL is never read. Before a kill, a confirmed persistent publish proves the
 * writes before it are on disk (group commit is in order; see support/durability.ts, barrier()).
 */
import type * as amqp from 'amqplib';
import { channel, closeAll, confirmChannel, connect, eventually, headersOf, Inbox, withTimeout, xDeath } from '../support/broker';
import { killChildBrokers, makeDataDir, removeTempDirs, startChildBroker, type ChildBroker } from '../support/child-broker';
import { barrier } from '../support/durability';

// Two broker starts per test; a cold start compiles the sources.
jest.setTimeout(60_000);

afterEach(async () => {
  await closeAll();
  await killChildBrokers();
});

afterAll(async () => {
  await closeAll();
  await killChildBrokers();
  removeTempDirs();
});

/** kill -9, wait `downMs`, start a new broker on the same directory; resolves with it and the time it was up. */
async function killAndRestart(broker: ChildBroker, downMs: number): Promise<{ broker: ChildBroker; upAt: number }> {
  await broker.kill9();
  await closeAll();
  await new Promise((resolve) => setTimeout(resolve, downMs));
  const next = await startChildBroker({ dataDir: broker.dataDir });
  return { broker: next, upAt: Date.now() };
}

/** Consumes `queue` (no-ack) into an inbox, recording when each message arrived. */
async function watchQueue(ch: amqp.Channel, queue: string): Promise<{ inbox: Inbox; arrivals: number[] }> {
  const inbox = new Inbox();
  const arrivals: number[] = [];
  await ch.consume(
    queue,
    (m) => {
      if (m) arrivals.push(Date.now());
      inbox.onMessage(m);
    },
    { noAck: true },
  );
  return { inbox, arrivals };
}

describe('queue features across kill -9', () => {
  test('persistent messages in an x-message-ttl queue expire at their original deadline after a restart, dead-lettered with x-death', async () => {
    const TTL = 3000;
    const first = await startChildBroker({ dataDir: makeDataDir() });
    const conn = await connect(first.url);
    const ch = await confirmChannel(conn);
    await ch.assertExchange('ttl.dlx', 'fanout', { durable: true });
    await ch.assertQueue('ttl.dead', { durable: true });
    await ch.bindQueue('ttl.dead', 'ttl.dlx', '');
    await ch.assertQueue('ttl.work', { durable: true, arguments: { 'x-message-ttl': TTL, 'x-dead-letter-exchange': 'ttl.dlx' } });
    const published = Date.now();
    for (const b of ['t1', 't2', 't3']) ch.sendToQueue('ttl.work', Buffer.from(b), { persistent: true, headers: { app: b } });
    await withTimeout(ch.waitForConfirms(), 5000, 'publisher confirms');

    const { broker: second, upAt } = await killAndRestart(first, 1000);
    const conn2 = await connect(second.url);
    const ch2 = await channel(conn2);
    if (Date.now() < published + TTL - 300) {
      // still before the deadline: the messages came back and are waiting
      expect((await ch2.checkQueue('ttl.work')).messageCount).toBe(3);
    }
    const { inbox, arrivals } = await watchQueue(ch2, 'ttl.dead');
    await inbox.waitFor(3, 15_000);
    // not early, and by the ORIGINAL deadline (or promptly after the start if that had passed), not TTL after the start
    expect(Math.min(...arrivals) - published).toBeGreaterThanOrEqual(TTL - 100);
    expect(Math.max(...arrivals)).toBeLessThanOrEqual(Math.max(published + TTL, upAt) + 1000);
    expect(Math.max(...arrivals)).toBeLessThan(upAt + TTL);
    expect(inbox.bodies()).toEqual(['t1', 't2', 't3']);
    for (const m of inbox.messages) {
      expect(m.properties.deliveryMode).toBe(2);
      expect(headersOf(m).app).toBe(m.content.toString());
      expect(xDeath(m)).toEqual([
        { count: 1, reason: 'expired', queue: 'ttl.work', exchange: '', 'routing-keys': ['ttl.work'], time: expect.objectContaining({ '!': 'timestamp' }) },
      ]);
      expect(headersOf(m)['x-first-death-reason']).toBe('expired');
    }
    expect((await ch2.checkQueue('ttl.work')).messageCount).toBe(0);
  });

  test('a dead-lettered persistent message in a durable queue keeps its x-death across kill -9', async () => {
    const first = await startChildBroker({ dataDir: makeDataDir() });
    const conn = await connect(first.url);
    const ch = await confirmChannel(conn);
    await ch.assertQueue('dl.dead', { durable: true });
    await ch.assertQueue('dl.work', { durable: true, arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'dl.dead' } });
    await ch.bindQueue('dl.work', 'amq.direct', 'work-key');
    ch.publish('amq.direct', 'work-key', Buffer.from('rejected'), { persistent: true, messageId: 'm-1', headers: { app: 'a' } });
    await withTimeout(ch.waitForConfirms(), 5000, 'publisher confirms');
    const m = await ch.get('dl.work');
    if (!m) throw new Error('no message');
    ch.reject(m, false);
    const before = await eventually(() => ch.get('dl.dead', { noAck: false }), 5000, 'the dead letter');
    const deathsBefore = xDeath(before);
    // put it back unacked-then-requeued, so what is on disk is the dead-lettered copy waiting in dl.dead
    ch.nack(before, false, true);
    await barrier(first.url);

    const { broker: second } = await killAndRestart(first, 200);
    const conn2 = await connect(second.url);
    const ch2 = await channel(conn2);
    expect((await ch2.checkQueue('dl.work')).messageCount).toBe(0);
    const after = await ch2.get('dl.dead', { noAck: true });
    if (!after) throw new Error('the dead-lettered message did not survive kill -9');
    expect(after.content.toString()).toBe('rejected');
    expect(after.properties).toEqual(expect.objectContaining({ messageId: 'm-1', deliveryMode: 2 }));
    expect(headersOf(after).app).toBe('a');
    expect(xDeath(after)).toEqual(deathsBefore);
    expect(xDeath(after)).toEqual([
      { count: 1, reason: 'rejected', queue: 'dl.work', exchange: 'amq.direct', 'routing-keys': ['work-key'], time: expect.objectContaining({ '!': 'timestamp' }) },
    ]);
    expect(headersOf(after)['x-first-death-reason']).toBe('rejected');
    expect(headersOf(after)['x-first-death-queue']).toBe('dl.work');
    expect(headersOf(after)['x-first-death-exchange']).toBe('amq.direct');
    expect(await ch2.get('dl.dead', { noAck: true })).toBe(false);
  });

  test('delayed messages survive kill -9: one due during the downtime is delivered promptly after the start, a later one at its due time', async () => {
    const first = await startChildBroker({ dataDir: makeDataDir() });
    const conn = await connect(first.url);
    const ch = await confirmChannel(conn);
    await ch.assertExchange('delayed.x', 'x-delayed-message', { durable: true, arguments: { 'x-delayed-type': 'direct' } });
    await ch.assertQueue('delayed.q', { durable: true });
    await ch.bindQueue('delayed.q', 'delayed.x', 'rk');
    const published = Date.now();
    ch.publish('delayed.x', 'rk', Buffer.from('due-in-downtime'), { persistent: true, headers: { 'x-delay': 600 } });
    ch.publish('delayed.x', 'rk', Buffer.from('due-after-restart'), { persistent: true, headers: { 'x-delay': 6000 } });
    ch.publish('delayed.x', 'other-key', Buffer.from('unrouted'), { persistent: true, headers: { 'x-delay': 700 } });
    await withTimeout(ch.waitForConfirms(), 5000, 'publisher confirms');
    await barrier(first.url);
    // nothing routed yet
    expect((await ch.checkQueue('delayed.q')).messageCount).toBe(0);

    const { broker: second, upAt } = await killAndRestart(first, 1000);
    const conn2 = await connect(second.url);
    const ch2 = await channel(conn2);
    const { inbox, arrivals } = await watchQueue(ch2, 'delayed.q');
    await inbox.waitFor(1, 5000);
    expect(inbox.bodies()).toEqual(['due-in-downtime']);
    expect((arrivals[0] as number) - upAt).toBeLessThanOrEqual(1000);
    await inbox.waitFor(2, 15_000);
    expect(inbox.bodies()).toEqual(['due-in-downtime', 'due-after-restart']);
    const late = arrivals[1] as number;
    expect(late - published).toBeGreaterThanOrEqual(6000 - 100);
    expect(late).toBeLessThanOrEqual(Math.max(published + 6000, upAt) + 1000);
    // the message with the wrong routing key was routed (nowhere) when due; nothing else turns up
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(inbox.messages).toHaveLength(2);
    for (const m of inbox.messages) expect(m.properties.deliveryMode).toBe(2);
  });
});
