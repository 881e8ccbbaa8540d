/**
 * The suite's leveret-perf client processes: the same roles as workers.ts's amqplib producer and consumer (same
 * config, same start/mark/report/stop commands, same report shape), driving src/perf's Producer and Consumer
 * in-process. So a scenario measures what the broker does for a client that is not the limit, with the window,
 * CPU/RSS and queue-depth logic of runners.ts unchanged. Loaded by workers.ts only for these roles.
 *
 * Differences from the amqplib roles, by design: the send time in a body is leveret-perf's (a wall-clock double,
 * little-endian, in the first 8 bytes; written whenever the body has room, `stamp` or not); a consumer acks each
 * delivery (one basic.ack per message, as amqplib's does) but writes the acks of one received chunk together; with
 * a rate, the producer sends what is due each 1 ms tick (src/perf/producer.ts).
 */
import { DEFAULTS, parseUri, type PerfOptions } from '../../src/perf/args';
import { PerfClient } from '../../src/perf/client';
import { Consumer } from '../../src/perf/consumer';
import { Histogram } from '../../src/perf/histogram';
import { Producer } from '../../src/perf/producer';
import { nowMs, round, sleep } from '../process';
import type { Command, ConsumerSpec, Latency, ProducerSpec, WorkerMessage } from './workers';

export interface Ipc {
  send(m: WorkerMessage): void;
  onCommand(handler: (c: Command) => void): void;
}

/** Declares nothing (the runner made the topology), publishes to the spec's exchange with its keys in turn. */
function perfOptions(over: Partial<PerfOptions>): PerfOptions {
  return { ...DEFAULTS, predeclared: true, routingKeyIsQueue: false, ...over };
}

function latencyOf(h: Histogram): Latency {
  const ms = (us: number): number => round(us / 1000, 2);
  return { samples: h.count, p50: ms(h.quantile(0.5)), p99: ms(h.quantile(0.99)), p999: ms(h.quantile(0.999)), max: ms(h.max) };
}

async function open(url: string, name: string, ipc: Ipc): Promise<PerfClient> {
  const client = await PerfClient.open(parseUri(url), name);
  client.onError = (err) => ipc.send({ type: 'error', message: `${name}: ${err.message}` });
  return client;
}

export async function perfProducer(cfg: ProducerSpec, ipc: Ipc): Promise<void> {
  const client = await open(cfg.url, 'bench leveret-perf producer', ipc);
  const o = perfOptions({
    exchange: cfg.exchange,
    routingKey: cfg.keys[0] ?? '',
    routingKeys: cfg.keys.length > 1 ? cfg.keys : [],
    size: cfg.bodySize,
    persistent: cfg.persistent,
    confirm: cfg.confirmInFlight,
    rate: cfg.rate,
  });
  const confirmLatency = new Histogram();
  const p = new Producer(client, o, confirmLatency);
  await p.setUp();
  const counted = (): number => (cfg.confirmInFlight > 0 ? p.confirmed : p.sent);
  let atMark = 0;
  let markedAt = nowMs();
  ipc.onCommand((c) => {
    switch (c.cmd) {
      case 'start':
        p.start();
        break;
      case 'mark':
        atMark = counted();
        confirmLatency.reset();
        markedAt = nowMs();
        break;
      case 'report':
        if (p.nacked > 0) ipc.send({ type: 'error', message: `nacked: ${p.nacked}` }); // as the amqplib producer
        ipc.send({
          type: 'report',
          count: counted() - atMark,
          elapsedMs: nowMs() - markedAt,
          latency: cfg.confirmInFlight > 0 ? latencyOf(confirmLatency) : undefined,
        });
        break;
      case 'stop':
        p.stop();
        void Promise.race([client.close(), sleep(3000)]).then(() => process.exit(0));
        break;
    }
  });
  ipc.send({ type: 'ready' });
}

export async function perfConsumer(cfg: ConsumerSpec, ipc: Ipc): Promise<void> {
  const latency = new Histogram();
  const clients: PerfClient[] = [];
  const consumers: Consumer[] = [];
  // One connection per queue, as the amqplib consumer does.
  for (const queue of cfg.queues) {
    const client = await open(cfg.url, `bench leveret-perf consumer ${queue}`, ipc);
    clients.push(client);
    const c = new Consumer(client, perfOptions({ queue, autoAck: cfg.noAck, prefetch: cfg.prefetch }), latency, `bench-perf-${consumers.length + 1}`);
    await c.setUp(async () => {});
    consumers.push(c);
  }
  const received = (): number => consumers.reduce((a, c) => a + c.received, 0);
  let atMark = 0;
  let markedAt = nowMs();
  ipc.onCommand((c) => {
    switch (c.cmd) {
      case 'mark':
        atMark = received();
        latency.reset();
        markedAt = nowMs();
        break;
      case 'report':
        ipc.send({ type: 'report', count: received() - atMark, elapsedMs: nowMs() - markedAt, latency: cfg.stamped ? latencyOf(latency) : undefined });
        break;
      case 'stop':
        void Promise.race([Promise.all(clients.map((cl) => cl.close())), sleep(3000)]).then(() => process.exit(0));
        break;
      default:
        break;
    }
  });
  ipc.send({ type: 'ready' });
}
