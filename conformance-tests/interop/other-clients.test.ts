/**
 * Interoperability with clients other than amqplib, as a new user would try them: Python's pika (Debian's
 * python3-pika) and rabbitmq-c's amqp-tools must declare, publish, consume and ack. Needs those Debian packages
 * (`apt-get install -y python3-pika amqp-tools`); run with `npm run test:interop` (.ci/run installs them).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import { useBroker, uniqueName } from '../support/broker';

const run = promisify(execFile);

describe('other clients', () => {
  let broker: { url: string; close(): Promise<void> };
  beforeAll(async () => {
    broker = await useBroker();
  });
  afterAll(async () => {
    await broker.close();
  });

  test('pika declares, publishes with confirms, consumes with manual acks and gets (pika BlockingConnection)', async () => {
    const queue = uniqueName('pika');
    const { stdout } = await run('/usr/bin/python3', [join(__dirname, 'pika_client.py'), broker.url, queue], {
      timeout: 15000,
    });
    expect(JSON.parse(stdout)).toEqual({
      declared: queue,
      consumed: [
        { body: 'pika-0', n: 0, type: 'text/plain' },
        { body: 'pika-1', n: 1, type: 'text/plain' },
      ],
      got: 'pika-2',
      remaining: 0,
    });
  });

  test('amqp-tools declare a queue, publish, and consume with acks (rabbitmq-c amqp-declare-queue, amqp-publish, amqp-consume)', async () => {
    const queue = uniqueName('amqptools');
    const url = `--url=${broker.url}`;
    const declared = await run('amqp-declare-queue', [url, '-q', queue], { timeout: 10000 });
    expect(declared.stdout.trim()).toBe(queue);
    for (const body of ['one', 'two', 'three']) {
      await run('amqp-publish', [url, '-r', queue, '-b', body], { timeout: 10000 });
    }
    // amqp-consume runs the command once per message with the body on stdin and acks when it exits 0.
    const consumed = await run('amqp-consume', [url, '-q', queue, '-c', '2', '-p', '1', 'cat'], { timeout: 10000 });
    expect(consumed.stdout).toBe('onetwo');
    const got = await run('amqp-get', [url, '-q', queue], { timeout: 10000 });
    expect(got.stdout).toBe('three');

    // What the tools acked is gone: the queue is empty and has no consumers left.
    const conn = await amqp.connect(broker.url);
    try {
      const ch = await conn.createChannel();
      const state = await ch.checkQueue(queue);
      expect(state).toEqual({ queue, messageCount: 0, consumerCount: 0 });
      await ch.deleteQueue(queue);
    } finally {
      await conn.close();
    }
  });
});
