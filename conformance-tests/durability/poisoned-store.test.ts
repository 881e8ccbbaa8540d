/**
 * A data directory holding messages no client can publish any more (what an older version, which did not check
 * them at the door, may have stored): properties that do not decode, a routing key too long for a short string once
 * written back. The broker must start on it, every time, serve the good messages in order, and move the bad ones to
 * the quarantine (logged, counted, listed by GET /api/leveret/quarantine), whether they are reached by a consumer,
 * by expiry with dead-lettering, or not at all before the next restart.
 */
import { channel, closeAll, connect } from '../support/broker';
import { killChildBrokers, makeDataDir, removeTempDirs, startChildBroker, type ChildBroker } from '../support/child-broker';
import { SqliteStore } from '../../src/store/sqlite';
import { encodeBasicProperties } from '../../src/protocol/generated/amqp';

const PLAIN = encodeBasicProperties({ deliveryMode: 2 });
/** A content-type flag with no value: the kind of property list a client could once get stored. */
const TRUNCATED = Buffer.from('9000', 'hex');
/** A timestamp header beyond a Date, with a 'b' integer: valid, and must come out byte for byte. */
const ODD = Buffer.from('3000' + '0000000f' + '0174' + '54' + '00ffffffffffffff' + '0162' + '62' + 'ff' + '02', 'hex');

afterAll(async () => {
  await closeAll();
  await killChildBrokers();
  removeTempDirs();
});

function httpPort(broker: ChildBroker): number {
  const started = broker.records().find((r) => r.msg === 'leveret started');
  const first = (started?.http as string[] | undefined)?.[0] ?? '';
  return Number(first.slice(first.lastIndexOf(':') + 1));
}

async function quarantine(broker: ChildBroker): Promise<{ total: number; items: { queue: string; reason: string; payload: string }[] }> {
  const res = await fetch(`http://127.0.0.1:${httpPort(broker)}/api/leveret/quarantine`, {
    headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as never;
}

test('a broker starts on a poisoned store, delivers the good messages in order and quarantines the others', async () => {
  const dataDir = makeDataDir();
  // A first start creates the default vhost and user; the queues are then declared as a client would have.
  let broker = await startChildBroker({ dataDir });
  const setup = await channel(await connect(broker.url));
  await setup.assertQueue('poisoned', { durable: true });
  await setup.assertQueue('dlq', { durable: true });
  await setup.assertQueue('expiring', { durable: true, arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'dlq' } });
  await closeAll();
  expect(await broker.stop()).toBe(0);

  // What an older version could have written: written straight into the store, as it would have been.
  const store = SqliteStore.open({ dataDir });
  const ids = new Map(store.loadDefinitions().queues.map((q) => [q.name, q.id]));
  const put = (queue: string, seq: number, body: string, properties: Buffer, routingKey = queue, expiresAt = 0): void =>
    store.enqueue(ids.get(queue) as number, seq, { id: store.nextMessageId(), exchange: '', routingKey, properties, body: Buffer.from(body) }, expiresAt);
  put('poisoned', 1, 'good-1', PLAIN);
  put('poisoned', 2, 'bad-properties', TRUNCATED);
  put('poisoned', 3, 'odd-but-valid', ODD);
  put('poisoned', 4, 'bad-routing-key', PLAIN, '\ufffd'.repeat(255));
  put('poisoned', 5, 'good-2', PLAIN);
  put('expiring', 1, 'bad-and-expired', TRUNCATED, 'expiring', Date.now() - 1000);
  put('expiring', 2, 'good-and-expired', PLAIN, 'expiring', Date.now() - 1000);
  await store.close();

  broker = await startChildBroker({ dataDir });
  const ch = await channel(await connect(broker.url));
  const got: { body: string; properties?: unknown }[] = [];
  for (;;) {
    const m = await ch.get('poisoned', { noAck: true });
    if (m === false) break;
    got.push({ body: m.content.toString() });
  }
  expect(got.map((m) => m.body)).toEqual(['good-1', 'odd-but-valid', 'good-2']);
  // The expired good message was dead-lettered; the expired bad one was quarantined instead.
  const dead = await ch.get('dlq', { noAck: true });
  expect(dead !== false && dead.content.toString()).toBe('good-and-expired');
  const q = await quarantine(broker);
  expect(q.total).toBe(3);
  expect(q.items.map((i) => [i.queue, i.payload]).sort()).toEqual([
    ['expiring', 'bad-and-expired'],
    ['poisoned', 'bad-properties'],
    ['poisoned', 'bad-routing-key'],
  ]);
  expect(broker.records().filter((r) => r.msg === 'message moved to the quarantine')).toHaveLength(3);
  await closeAll();
  expect(await broker.stop()).toBe(0);

  // And again: the quarantine was moved, not copied; nothing comes back, nothing is quarantined twice.
  broker = await startChildBroker({ dataDir });
  const again = await channel(await connect(broker.url));
  expect(await again.get('poisoned', { noAck: true })).toBe(false);
  expect((await quarantine(broker)).total).toBe(3);
  await closeAll();
  expect(await broker.stop()).toBe(0);
}, 60_000);
