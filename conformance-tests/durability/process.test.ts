/**
 * The broker process and its data directory: shutdown on SIGTERM/SIGINT flushes and closes clients with 320, the
 * directory lock, and a corrupt leveret.db refused at start (DESIGN.md, Persistence).
 *
 * Leveret only: each test starts its own brokers as child processes (support/child-broker.ts) on a fresh temp
 * data directory, and stops them with SIGTERM or kill -9. AMQP_URL is never read; these tests cannot run against
 * a broker they cannot restart. What the tests wait for before a kill -9 is in support/durability.ts.
 */
import type * as amqp from 'amqplib';
import { closeSync, existsSync, openSync, readFileSync, realpathSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Reply } from '../support/codes';
import { channel, closeAll, confirmChannel, connect, parseClose, whenClosed } from '../support/broker';
import {
  killChildBrokers,
  makeDataDir,
  removeTempDirs,
  startChildBroker,
  startFailingBroker,
} from '../support/child-broker';
import { publishConfirmed, restart, takeAll } from '../support/durability';

// Every test starts two or three brokers; a cold start compiles the sources.
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

describe('process', () => {
  test.each<NodeJS.Signals>(['SIGTERM', 'SIGINT'])(
    '%s: clients get connection.close 320 CONNECTION_FORCED, the broker exits 0 (RabbitMQ: shutdown)',
    async (signal) => {
      const broker = await startChildBroker({ dataDir: makeDataDir() });
      const conn = await connect(broker.url);
      const ch = await confirmChannel(conn);
      await ch.assertQueue('dq', { durable: true });
      await publishConfirmed(ch, '', 'dq', ['before-shutdown'], { persistent: true });
      const closed = whenClosed(conn, 10_000);
      const code = await broker.stop(signal);
      const err = await closed;
      expect(err).toBeDefined();
      const info = parseClose(err as Error);
      expect(info.code).toBe(Reply.CONNECTION_FORCED);
      expect(info.text).toBe("CONNECTION_FORCED - broker forced connection closure with reason 'shutdown'");
      expect(code).toBe(0);
      // Clean stop: nothing is lost.
      const again = await startChildBroker({ dataDir: broker.dataDir });
      const conn2 = await connect(again.url);
      expect((await (await channel(conn2)).checkQueue('dq')).messageCount).toBe(1);
      expect(await again.stop()).toBe(0);
    },
  );

  test('SIGTERM flushes: every persistent message the broker had enqueued and every ack it had handled is on disk, without confirms', async () => {
    const broker = await startChildBroker({ dataDir: makeDataDir() });
    const conn = await connect(broker.url);
    const ch = await channel(conn);
    await ch.assertQueue('dq', { durable: true });
    const n = 2000;
    for (let i = 0; i < n; i++) ch.sendToQueue('dq', Buffer.from(String(i)), { persistent: true });
    // A round trip on the same channel: the publishes before it were handled (enqueued, maybe not yet written).
    expect((await ch.checkQueue('dq')).messageCount).toBe(n);
    const firstTen: amqp.GetMessage[] = [];
    for (let i = 0; i < 10; i++) {
      const m = await ch.get('dq', { noAck: false });
      if (m === false) throw new Error('queue unexpectedly empty');
      firstTen.push(m);
    }
    ch.ackAll();
    expect((await ch.checkQueue('dq')).messageCount).toBe(n - 10);
    const again = await restart(broker, 'SIGTERM');
    const conn2 = await connect(again.url);
    const got = await takeAll(await channel(conn2), 'dq');
    expect(got.map((m) => Number(m.content.toString()))).toEqual(Array.from({ length: n - 10 }, (_, i) => i + 10));
    expect(await again.stop()).toBe(0);
  });

  test('a second broker on the same data directory refuses to start and names the directory; once the first stops, a new one starts', async () => {
    const dataDir = makeDataDir();
    const first = await startChildBroker({ dataDir });
    const refused = await startFailingBroker({ dataDir });
    expect(refused.code).not.toBe(0);
    const output = refused.logs.join('\n');
    expect(output.includes(dataDir) || output.includes(realpathSync(dataDir))).toBe(true);
    // The first broker is unharmed.
    const conn = await connect(first.url);
    await (await channel(conn)).assertQueue('still-works', { durable: true });
    await conn.close();
    expect(await first.stop()).toBe(0);

    const next = await startChildBroker({ dataDir });
    const conn2 = await connect(next.url);
    await (await channel(conn2)).checkQueue('still-works');
    expect(await next.stop()).toBe(0);
  });

  test('the lock is released by kill -9: a new broker starts on the directory at once', async () => {
    const dataDir = makeDataDir();
    const first = await startChildBroker({ dataDir });
    await first.kill9();
    const next = await startChildBroker({ dataDir });
    expect(await next.stop()).toBe(0);
  });

  test('a leveret.db full of garbage: non-zero exit, a message naming the file, the file left untouched', async () => {
    const dataDir = makeDataDir();
    const file = join(dataDir, 'leveret.db');
    const garbage = Buffer.alloc(64 * 1024);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919 + 13) & 0xff;
    writeFileSync(file, garbage);
    const failed = await startFailingBroker({ dataDir });
    expect(failed.code).not.toBe(0);
    expect(failed.logs.some((l) => l.includes(file) || l.includes(realpathSync(file)))).toBe(true);
    expect(readFileSync(file).equals(garbage)).toBe(true);
  });

  test('a real database whose pages were overwritten: non-zero exit naming the file, never a silent empty start', async () => {
    const dataDir = makeDataDir();
    const first = await startChildBroker({ dataDir });
    const conn = await connect(first.url);
    const ch = await confirmChannel(conn);
    await ch.assertQueue('dq', { durable: true });
    await publishConfirmed(ch, '', 'dq', ['x', 'y'], { persistent: true });
    expect(await first.stop()).toBe(0);

    const file = join(dataDir, 'leveret.db');
    for (const extra of ['-wal', '-shm']) if (existsSync(file + extra)) rmSync(file + extra);
    // Keep SQLite's 100-byte header, so the file still claims to be a database; garble everything after it.
    const size = readFileSync(file).length;
    const fd = openSync(file, 'r+');
    const junk = Buffer.alloc(Math.max(size - 100, 4096), 0xa5);
    writeSync(fd, junk, 0, junk.length, 100);
    closeSync(fd);
    const before = readFileSync(file);

    const failed = await startFailingBroker({ dataDir });
    expect(failed.code).not.toBe(0);
    expect(failed.logs.some((l) => l.includes(file) || l.includes(realpathSync(file)))).toBe(true);
    expect(readFileSync(file).equals(before)).toBe(true);
  });
});
