/**
 * A store that cannot write does not run on silently (issue 16). No test can fill a real disk here, so the writer's
 * fault-injection point (src/store/sqlite/fault.ts, LEVERET_STORE_FAULT_FILE) makes every batch fail as SQLite does
 * on a full disk ("full"), or ends the writer thread ("crash"), for as long as the test says.
 *
 * Disk full: the batch waits for its retry, unconfirmed; the disk alarm goes on (health check, log); the publisher is
 * blocked on its next publish (connection.blocked "low on disk"); once the disk has room again, the batch is
 * written, the confirm arrives, the alarm clears, the publisher is unblocked and its blocked publish is confirmed.
 * Writer gone: the broker logs it and exits 1 (a supervisor restarts it); after the restart every confirmed message
 * is there, and nothing unconfirmed was promised.
 */
import * as amqp from 'amqplib';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getAll } from '../support/basic';
import { eventually, withTimeout } from '../support/broker';
import { killChildBrokers, makeDataDir, removeTempDirs, startChildBroker, type ChildBroker } from '../support/child-broker';

afterAll(async () => {
  await killChildBrokers();
  removeTempDirs();
});

function httpUrl(broker: ChildBroker): string {
  const started = broker.records().find((r) => r.msg === 'leveret started');
  const first = (started?.http as string[] | undefined)?.[0] ?? '';
  return `http://${first}`;
}

async function alarmsCheck(broker: ChildBroker): Promise<{ status: number; body: { alarms?: { resource: string }[] } }> {
  const res = await fetch(`${httpUrl(broker)}/api/health/checks/alarms`, {
    headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` },
  });
  return { status: res.status, body: (await res.json()) as never };
}

function publish(ch: amqp.ConfirmChannel, queue: string, body: string): Promise<void> {
  return new Promise((resolve, reject) =>
    ch.sendToQueue(queue, Buffer.from(body), { persistent: true }, (err) => (err ? reject(err as Error) : resolve())),
  );
}

async function openConfirm(broker: ChildBroker): Promise<{ conn: amqp.ChannelModel; ch: amqp.ConfirmChannel }> {
  const conn = await amqp.connect(broker.url);
  conn.on('error', () => undefined);
  const ch = await conn.createConfirmChannel();
  ch.on('error', () => undefined);
  return { conn, ch };
}

test('disk full: the disk alarm blocks publishers, nothing is confirmed until written, all resumes when it clears', async () => {
  const dataDir = makeDataDir();
  const fault = join(dataDir, 'fault');
  const broker = await startChildBroker({ dataDir, env: { LEVERET_STORE_FAULT_FILE: fault } });
  const { conn, ch } = await openConfirm(broker);
  const events: string[] = [];
  conn.on('blocked', (reason: string) => events.push(`blocked:${reason}`));
  conn.on('unblocked', () => events.push('unblocked'));
  await ch.assertQueue('q', { durable: true });
  for (let i = 0; i < 10; i++) await publish(ch, 'q', `m${i}`);

  writeFileSync(fault, 'full');
  let confirmed = false;
  const first = publish(ch, 'q', 'during-1').then(() => (confirmed = true));
  await eventually(async () => (await alarmsCheck(broker)).status === 503, 5000, 'the disk alarm');
  expect((await alarmsCheck(broker)).body.alarms).toEqual([{ node: expect.any(String), resource: 'disk' }]);
  expect(broker.records().some((r) => r.msg === 'store batch failed; it will be retried')).toBe(true);
  expect(broker.records().some((r) => r.msg === 'store write alarm set: the store cannot write; publishers are blocked until it clears')).toBe(true);
  // The next publish blocks the connection; the first stays unconfirmed while the batch cannot be written.
  const second = publish(ch, 'q', 'during-2');
  await eventually(() => events.length > 0, 5000, 'connection.blocked');
  expect(events).toEqual(['blocked:low on disk']);
  await new Promise((resolve) => setTimeout(resolve, 1500)); // a retry or more, still failing
  expect(confirmed).toBe(false);

  writeFileSync(fault, '');
  await withTimeout(Promise.all([first, second]), 10_000, 'confirms once the store writes again');
  await eventually(() => events.length === 2, 5000, 'connection.unblocked');
  expect(events).toEqual(['blocked:low on disk', 'unblocked']);
  expect((await alarmsCheck(broker)).status).toBe(200);
  expect(broker.records().some((r) => r.msg === 'store write alarm cleared: the store writes again')).toBe(true);
  await conn.close();
  expect(await broker.stop()).toBe(0);

  // Every confirmed message is on disk, once, in order.
  const again = await startChildBroker({ dataDir });
  const check = await amqp.connect(again.url);
  const bodies = (await getAll(await check.createChannel(), 'q')).map((m) => m.content.toString());
  expect(bodies).toEqual([...Array.from({ length: 10 }, (_, i) => `m${i}`), 'during-1', 'during-2']);
  await check.close();
  expect(await again.stop()).toBe(0);
}, 60_000);

test('the writer thread gone: the broker exits 1; after a restart every confirmed message is back', async () => {
  const dataDir = makeDataDir();
  const fault = join(dataDir, 'fault');
  const broker = await startChildBroker({ dataDir, env: { LEVERET_STORE_FAULT_FILE: fault } });
  const { ch } = await openConfirm(broker);
  await ch.assertQueue('q', { durable: true });
  for (let i = 0; i < 20; i++) await publish(ch, 'q', `m${i}`);

  writeFileSync(fault, 'crash');
  let confirmed = false;
  void publish(ch, 'q', 'never-confirmed').then(
    () => (confirmed = true),
    () => undefined,
  );
  const code = await withTimeout(
    new Promise<number>((resolve) => {
      const poll = setInterval(() => {
        if (!broker.exited()) return;
        clearInterval(poll);
        resolve(broker.stop());
      }, 50);
    }),
    10_000,
    'the broker exits',
  );
  expect(code).toBe(1);
  expect(confirmed).toBe(false);
  expect(broker.records().some((r) => r.msg === 'store writer thread failed; persistent messages are no longer written')).toBe(true);
  expect(broker.records().some((r) => r.level === 60 && String(r.msg).startsWith('the store can write no more'))).toBe(true);

  const again = await startChildBroker({ dataDir });
  const check = await amqp.connect(again.url);
  const bodies = (await getAll(await check.createChannel(), 'q')).map((m) => m.content.toString());
  // The 20 confirmed ones, in order; the unconfirmed one may or may not have reached the disk before the crash.
  expect(bodies.slice(0, 20)).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
  expect(bodies.length).toBeLessThanOrEqual(21);
  await check.close();
  expect(await again.stop()).toBe(0);
}, 60_000);
