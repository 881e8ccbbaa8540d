/**
 * Resource alarms, RabbitMQ's flow control (https://www.rabbitmq.com/docs/alarms, /docs/connection-blocked), in an
 * in-process Leveret whose thresholds the test moves at run time (RunningBroker.alarms, as rabbitmqctl
 * set_disk_free_limit / set_vm_memory_high_watermark do): a disk free limit far above the free space raises the disk
 * alarm on this machine, a memory watermark of a few bytes the memory alarm.
 *
 * While an alarm is in effect: connections are "blocking"; a publisher's first publish blocks it (amqplib announces
 * the connection.blocked capability and emits 'blocked' with RabbitMQ's reason), the broker reads nothing more from
 * it and its publishes stay unconfirmed; a consumer on another connection keeps draining and acking. The health
 * checks fail with RabbitMQ's body, /api/nodes and /metrics show the alarm. When every alarm has cleared,
 * connection.unblocked arrives, the publishes are confirmed, and every message is delivered once, in order.
 */
import * as amqp from 'amqplib';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type RunningBroker } from '../../src/broker';
import { closeAll, confirmChannel, connect, delay, eventually, Inbox, withTimeout } from '../support/broker';

const AUTH = { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` };
/** Far more free space than any disk here has: the disk alarm goes on. */
const HUGE = { absolute: 1e18 };
const DEFAULT_DISK = { absolute: 50_000_000 };

let broker: RunningBroker;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'leveret-alarms-'));
  broker = await startBroker({ port: 0, amqp: { bind: ['127.0.0.1'] }, dataDir, logLevel: 'silent' });
});

afterAll(async () => {
  await closeAll();
  await broker.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function api(path: string): Promise<{ status: number; body: unknown; text: string }> {
  const res = await fetch(`${broker.httpUrl}${path}`, { headers: AUTH });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text };
}

interface ConnectionRow {
  state: string;
  recv_oct: number;
  client_properties: { connection_name?: string };
}

async function connectionNamed(name: string): Promise<ConnectionRow | undefined> {
  const rows = (await api('/api/connections')).body as ConnectionRow[];
  return rows.find((c) => c.client_properties.connection_name === name);
}

async function named(name: string): Promise<amqp.ChannelModel> {
  const conn = await amqp.connect(broker.url, { clientProperties: { connection_name: name } });
  conn.on('error', () => undefined);
  return conn;
}

/** Persistent publishes with bodies "from", "from+1", ... (padded with spaces to `size` bytes); their confirms. */
function publishPersistent(ch: amqp.ConfirmChannel, queue: string, from: number, count: number, size = 0): Promise<void>[] {
  const confirms: Promise<void>[] = [];
  for (let i = from; i < from + count; i++) {
    const body = Buffer.from(String(i).padEnd(size));
    confirms.push(
      new Promise((resolve, reject) =>
        ch.sendToQueue(queue, body, { persistent: true }, (err) => (err ? reject(err as Error) : resolve())),
      ),
    );
  }
  return confirms;
}

function settledWithin(promises: Promise<unknown>[], ms: number): Promise<boolean> {
  return Promise.race([Promise.all(promises).then(() => true), delay(ms).then(() => false)]);
}

describe('resource alarms (RabbitMQ flow control)', () => {
  test('a disk alarm blocks a publisher, consumers keep draining, unblocked when it clears; nothing confirmed is lost', async () => {
    const setup = await confirmChannel(await connect(broker.url));
    const queue = 'alarms.disk';
    await setup.assertQueue(queue, { durable: true });

    const pubConn = await named('alarm-publisher');
    const events: string[] = [];
    pubConn.on('blocked', (reason: string) => events.push(`blocked:${reason}`));
    pubConn.on('unblocked', () => events.push('unblocked'));
    const pub = await pubConn.createConfirmChannel();
    await Promise.all(publishPersistent(pub, queue, 0, 10));

    broker.alarms.setDiskFreeLimit(HUGE);
    expect(broker.alarms.resources).toEqual(['disk']);
    const health = await api('/api/health/checks/alarms');
    expect(health.status).toBe(503);
    const node = broker.alarms.figures;
    expect(health.body).toEqual({
      status: 'failed',
      reason: 'There are alarms in effect in the cluster',
      alarms: [{ node: expect.any(String), resource: 'disk' }],
    });
    const local = await api('/api/health/checks/local-alarms');
    expect(local.status).toBe(503);
    expect((local.body as { reason: string }).reason).toBe('There are alarms in effect on the node');
    const [nodeRow] = (await api('/api/nodes')).body as Record<string, unknown>[];
    expect(nodeRow).toMatchObject({ disk_free_alarm: true, mem_alarm: false, disk_free_limit: 1e18 });
    expect(nodeRow?.['disk_free']).toBe(node.diskFree);
    const metrics = (await api('/metrics')).text;
    expect(metrics).toMatch(/^rabbitmq_alarms_free_disk_space_watermark 1$/m);
    expect(metrics).toMatch(/^rabbitmq_alarms_memory_used_watermark 0$/m);
    expect(metrics).toMatch(/^rabbitmq_alarms_file_descriptor_limit 0$/m);
    expect((await connectionNamed('alarm-publisher'))?.state).toBe('blocking');

    // The first publish blocks the connection: connection.blocked, then nothing more is read or confirmed.
    const pending = publishPersistent(pub, queue, 10, 20);
    await eventually(() => events.length > 0, 3000, 'connection.blocked');
    expect(events).toEqual(['blocked:low on disk']);
    expect((await connectionNamed('alarm-publisher'))?.state).toBe('blocked');
    // 100 publishes of 20 KB more: the socket's stream takes at most its buffer (highWaterMark) before TCP holds the rest.
    const read = (await connectionNamed('alarm-publisher'))?.recv_oct ?? -1;
    pending.push(...publishPersistent(pub, queue, 30, 100, 20_000));
    expect(await settledWithin(pending, 500)).toBe(false);
    const after = (await connectionNamed('alarm-publisher'))?.recv_oct ?? Infinity;
    expect(after - read).toBeLessThan(256 * 1024);

    // A consumer on its own connection is not blocked: it drains and acks what was confirmed before the alarm.
    const conConn = await named('alarm-consumer');
    const con = await conConn.createChannel();
    await con.prefetch(5);
    const inbox = new Inbox();
    await con.consume(queue, (m) => {
      if (m === null) return;
      inbox.onMessage(m);
      con.ack(m);
    });
    const early = await inbox.waitFor(10, 3000);
    expect(early.map((m) => m.content.toString().trim())).toEqual(Array.from({ length: 10 }, (_, i) => String(i)));
    expect((await connectionNamed('alarm-consumer'))?.state).toBe('blocking');

    // The alarm clears: connection.unblocked, every publish confirmed and delivered once, in order.
    broker.alarms.setDiskFreeLimit(DEFAULT_DISK);
    await withTimeout(Promise.all(pending), 5000, 'confirms after the alarm cleared');
    expect(events).toEqual(['blocked:low on disk', 'unblocked']);
    const all = await inbox.waitFor(130, 5000);
    expect(all.map((m) => m.content.toString().trim())).toEqual(Array.from({ length: 130 }, (_, i) => String(i)));
    await delay(100);
    expect(inbox.messages).toHaveLength(130);
    expect((await api('/api/health/checks/alarms')).body).toEqual({ status: 'ok' });
    expect((await connectionNamed('alarm-publisher'))?.state).toBe('running');
    await pubConn.close();
    await conConn.close();
  });

  test('memory and disk together: one connection.blocked ("low on memory"), unblocked only when both have cleared', async () => {
    const setup = await confirmChannel(await connect(broker.url));
    const queue = 'alarms.memory';
    await setup.assertQueue(queue, { durable: true });
    const pubConn = await named('memory-publisher');
    const events: string[] = [];
    pubConn.on('blocked', (reason: string) => events.push(`blocked:${reason}`));
    pubConn.on('unblocked', () => events.push('unblocked'));
    const pub = await pubConn.createConfirmChannel();

    broker.alarms.setDiskFreeLimit(DEFAULT_DISK);
    const watermark = broker.alarms.figures.memLimit;
    broker.alarms.setMemoryHighWatermark({ absolute: 4 * 1024 * 1024 });
    expect(broker.alarms.resources).toEqual(['memory']);
    const [nodeRow] = (await api('/api/nodes')).body as Record<string, unknown>[];
    expect(nodeRow).toMatchObject({ mem_alarm: true, mem_limit: 4 * 1024 * 1024, disk_free_alarm: false });
    expect((await api('/metrics')).text).toMatch(/^rabbitmq_alarms_memory_used_watermark 1$/m);

    const pending = publishPersistent(pub, queue, 0, 5);
    await eventually(() => events.length > 0, 3000, 'connection.blocked');
    broker.alarms.setDiskFreeLimit(HUGE);
    expect((await api('/api/health/checks/alarms')).body).toMatchObject({
      alarms: [{ resource: 'memory' }, { resource: 'disk' }],
    });
    broker.alarms.setMemoryHighWatermark({ absolute: watermark });
    expect(broker.alarms.resources).toEqual(['disk']);
    expect(await settledWithin(pending, 300)).toBe(false);
    broker.alarms.setDiskFreeLimit(DEFAULT_DISK);
    await withTimeout(Promise.all(pending), 5000, 'confirms after both alarms cleared');
    expect(events).toEqual(['blocked:low on memory', 'unblocked']);
    expect((await setup.checkQueue(queue)).messageCount).toBe(5);
    await pubConn.close();
  });

  test('a broker started with a watermark below its own memory is in alarm from the start', async () => {
    const low = await startBroker({ port: 0, amqp: { bind: ['127.0.0.1'] }, memoryHighWatermark: { absolute: 5_000_000 }, logLevel: 'silent' });
    try {
      const res = await fetch(`${low.httpUrl}/api/health/checks/local-alarms`, { headers: AUTH });
      expect(res.status).toBe(503);
      expect(((await res.json()) as { alarms: unknown[] }).alarms).toEqual([{ node: expect.any(String), resource: 'memory' }]);
      // No data directory: no disk alarm, whatever the limit.
      low.alarms.setDiskFreeLimit(HUGE);
      expect(low.alarms.resources).toEqual(['memory']);
    } finally {
      await low.close();
    }
  });
});
