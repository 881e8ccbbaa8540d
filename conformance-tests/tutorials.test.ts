/**
 * The six RabbitMQ tutorials, written with amqplib the way their readers write them: the first thing a user of a
 * RabbitMQ-compatible broker tries.
 */
import type * as amqp from 'amqplib';
import { channel, cleanup, connect, eventually, Inbox, setupBroker, uniqueName } from './support/broker';

const broker = setupBroker();

describe('RabbitMQ tutorials', () => {
  test('1 hello world: send to a named queue, receive with a no-ack consumer (tutorial one)', async () => {
    const queue = cleanup.queue(uniqueName('hello'));
    const sender = await connect(broker.url);
    const sch = await channel(sender);
    await sch.assertQueue(queue, { durable: false });
    sch.sendToQueue(queue, Buffer.from('Hello World!'));
    // amqplib writes connection.close on channel 0's stream, which can overtake channel 1's buffered publish;
    // closing the channel first keeps the order (the tutorial waits 500 ms instead)
    await sch.close();
    await sender.close();

    const receiver = await connect(broker.url);
    const rch = await channel(receiver);
    await rch.assertQueue(queue, { durable: false });
    const inbox = new Inbox();
    await rch.consume(queue, inbox.onMessage, { noAck: true });
    await inbox.waitFor(1);
    expect(inbox.bodies()).toEqual(['Hello World!']);
  });

  test('2 work queues: durable queue, persistent tasks, prefetch 1 and manual acks share work fairly (tutorial two)', async () => {
    const queue = cleanup.queue(uniqueName('task_queue'));
    const producer = await connect(broker.url);
    const pch = await channel(producer);
    await pch.assertQueue(queue, { durable: true });

    const done: Array<{ worker: number; task: string }> = [];
    const workers = await Promise.all(
      [0, 1].map(async (worker) => {
        const conn = await connect(broker.url);
        const ch = await channel(conn);
        await ch.assertQueue(queue, { durable: true });
        await ch.prefetch(1);
        await ch.consume(
          queue,
          (msg) => {
            if (!msg) return;
            const task = msg.content.toString();
            // "dots are seconds" in the tutorial; here a dot is 5 ms so a slow task keeps its worker busy
            const work = (task.match(/\./g) ?? []).length * 5;
            setTimeout(() => {
              done.push({ worker, task });
              ch.ack(msg);
            }, work);
          },
          { noAck: false },
        );
        return ch;
      }),
    );
    const tasks = ['slow..........', 'a.', 'b.', 'c.', 'd.', 'e.'];
    for (const t of tasks) pch.sendToQueue(queue, Buffer.from(t), { persistent: true });
    await eventually(() => done.length >= tasks.length, 5000, 'every task done');
    expect(done.map((d) => d.task).sort()).toEqual([...tasks].sort());
    // with prefetch 1 the worker stuck on the slow task gets none of the quick ones dispatched meanwhile
    const slowWorker = done.find((d) => d.task.startsWith('slow'))?.worker;
    const quickOnSlowWorker = done.filter((d) => d.worker === slowWorker && !d.task.startsWith('slow'));
    expect(quickOnSlowWorker.length).toBeLessThan(tasks.length - 1);
    expect(workers.length).toBe(2);
  });

  test('3 publish/subscribe: fanout exchange, exclusive server-named queues, every subscriber gets every log (tutorial three)', async () => {
    const exchange = cleanup.exchange(uniqueName('logs'));
    const subscribers = await Promise.all(
      [0, 1, 2].map(async () => {
        const conn = await connect(broker.url);
        const ch = await channel(conn);
        await ch.assertExchange(exchange, 'fanout', { durable: false });
        const q = await ch.assertQueue('', { exclusive: true });
        expect(q.queue).toMatch(/^amq\.gen-/);
        await ch.bindQueue(q.queue, exchange, '');
        const inbox = new Inbox();
        await ch.consume(q.queue, inbox.onMessage, { noAck: true });
        return inbox;
      }),
    );
    const emitter = await connect(broker.url);
    const ech = await channel(emitter);
    await ech.assertExchange(exchange, 'fanout', { durable: false });
    for (const line of ['info: one', 'warning: two']) ech.publish(exchange, '', Buffer.from(line));
    for (const inbox of subscribers) {
      await inbox.waitFor(2);
      expect(inbox.bodies()).toEqual(['info: one', 'warning: two']);
    }
  });

  test('4 routing: direct exchange, a queue per set of severities (tutorial four)', async () => {
    const exchange = cleanup.exchange(uniqueName('direct_logs'));
    const conn = await connect(broker.url);
    const ch = await channel(conn);
    await ch.assertExchange(exchange, 'direct', { durable: false });
    async function subscribe(severities: string[]): Promise<Inbox> {
      const q = await ch.assertQueue('', { exclusive: true });
      for (const s of severities) await ch.bindQueue(q.queue, exchange, s);
      const inbox = new Inbox();
      await ch.consume(q.queue, inbox.onMessage, { noAck: true });
      return inbox;
    }
    const errorsOnly = await subscribe(['error']);
    const everything = await subscribe(['info', 'warning', 'error']);
    const pub = await channel(conn);
    pub.publish(exchange, 'info', Buffer.from('i'));
    pub.publish(exchange, 'error', Buffer.from('e'));
    pub.publish(exchange, 'warning', Buffer.from('w'));
    pub.publish(exchange, 'debug', Buffer.from('d'));
    await everything.waitFor(3);
    await errorsOnly.waitFor(1);
    expect(everything.bodies()).toEqual(['i', 'e', 'w']);
    expect(errorsOnly.bodies()).toEqual(['e']);
  });

  test('5 topics: topic exchange with * and # bindings (tutorial five)', async () => {
    const exchange = cleanup.exchange(uniqueName('topic_logs'));
    const conn = await connect(broker.url);
    const ch = await channel(conn);
    await ch.assertExchange(exchange, 'topic', { durable: false });
    async function subscribe(keys: string[]): Promise<Inbox> {
      const q = await ch.assertQueue('', { exclusive: true });
      for (const k of keys) await ch.bindQueue(q.queue, exchange, k);
      const inbox = new Inbox();
      await ch.consume(q.queue, inbox.onMessage, { noAck: true });
      return inbox;
    }
    const all = await subscribe(['#']);
    const kern = await subscribe(['kern.*']);
    const critical = await subscribe(['*.critical']);
    const both = await subscribe(['kern.*', '*.critical']);
    const pub = await channel(conn);
    for (const key of ['kern.critical', 'kern.info', 'cron.critical', 'anonymous.info', 'kern.disk.full']) {
      pub.publish(exchange, key, Buffer.from(key));
    }
    await all.waitFor(5);
    await kern.waitFor(2);
    await critical.waitFor(2);
    await both.waitFor(3);
    expect(all.bodies()).toEqual(['kern.critical', 'kern.info', 'cron.critical', 'anonymous.info', 'kern.disk.full']);
    expect(kern.bodies()).toEqual(['kern.critical', 'kern.info']);
    expect(critical.bodies()).toEqual(['kern.critical', 'cron.critical']);
    expect(both.bodies()).toEqual(['kern.critical', 'kern.info', 'cron.critical']);
  });

  test('6 RPC: request queue, exclusive reply queue, replyTo and correlationId (tutorial six)', async () => {
    const rpcQueue = cleanup.queue(uniqueName('rpc_queue'));
    // server
    const serverConn = await connect(broker.url);
    const sch = await channel(serverConn);
    await sch.assertQueue(rpcQueue, { durable: false });
    await sch.prefetch(1);
    const fib = (n: number): number => (n < 2 ? n : fib(n - 1) + fib(n - 2));
    await sch.consume(rpcQueue, (msg) => {
      if (!msg) return;
      const n = Number(msg.content.toString());
      sch.sendToQueue(msg.properties.replyTo as string, Buffer.from(String(fib(n))), { correlationId: msg.properties.correlationId as string });
      sch.ack(msg);
    });
    // client
    const clientConn = await connect(broker.url);
    const cch = await channel(clientConn);
    const replyQ = await cch.assertQueue('', { exclusive: true });
    const pending = new Map<string, (v: string) => void>();
    await cch.consume(
      replyQ.queue,
      (msg: amqp.ConsumeMessage | null) => {
        if (!msg) return;
        const resolve = pending.get(msg.properties.correlationId as string);
        if (resolve) {
          pending.delete(msg.properties.correlationId as string);
          resolve(msg.content.toString());
        }
      },
      { noAck: true },
    );
    const call = (n: number): Promise<string> =>
      new Promise((resolve) => {
        const correlationId = uniqueName('corr');
        pending.set(correlationId, resolve);
        cch.sendToQueue(rpcQueue, Buffer.from(String(n)), { correlationId, replyTo: replyQ.queue });
      });
    expect(await Promise.all([call(10), call(15), call(1), call(20)])).toEqual(['55', '610', '1', '6765']);
  });
});
