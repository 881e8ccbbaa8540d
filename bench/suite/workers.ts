/**
 * The suite's client processes: producer, consumer (amqplib; leveret-perf's in perf-workers.ts), connection opener
 * and fake broker, each run by bench/suite.ts forked with `--worker <json>`, driven over IPC (start, mark, report,
 * stop).
 */
import type * as net from 'node:net';
import * as amqp from 'amqplib';
import { nowMs, round, sleep } from '../process';

export interface Latency {
  samples: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}
function summarize(samples: number[]): Latency {
  const s = Float64Array.from(samples).sort();
  const at = (q: number): number => (s.length === 0 ? 0 : (s[Math.min(s.length - 1, Math.floor(q * s.length))] as number));
  return { samples: s.length, p50: round(at(0.5), 2), p99: round(at(0.99), 2), p999: round(at(0.999), 2), max: round(at(1), 2) };
}

/** A producer: amqplib's ('producer') or leveret-perf's ('perf-producer', perf-workers.ts). */
export interface ProducerSpec {
  url: string;
  exchange: string;
  /** Routing keys, used in turn. */
  keys: string[];
  bodySize: number;
  persistent: boolean;
  /** > 0: confirm channel with at most this many unconfirmed; 0: no confirms. */
  confirmInFlight: number;
  /** Messages per second; 0: as fast as the connection drains. */
  rate: number;
  /** Write a send time into the first 8 body bytes (end-to-end latency). */
  stamp: boolean;
}

/** A consumer, one connection per queue: amqplib's ('consumer') or leveret-perf's ('perf-consumer'). */
export interface ConsumerSpec {
  url: string;
  queues: string[];
  noAck: boolean;
  prefetch: number;
  stamped: boolean;
}

export type WorkerConfig =
  | (ProducerSpec & { role: 'producer' | 'perf-producer' })
  | (ConsumerSpec & { role: 'consumer' | 'perf-consumer' })
  | { role: 'connections'; url: string; count: number; concurrency: number }
  | { role: 'fake'; mode: 'sink' | 'source'; bodySize: number };

export type Command = { cmd: 'start' } | { cmd: 'mark' } | { cmd: 'report' } | { cmd: 'stop' };

export type WorkerMessage =
  | { type: 'ready'; port?: number }
  | { type: 'report'; count: number; elapsedMs: number; latency?: Latency }
  | { type: 'error'; message: string };

function send(m: WorkerMessage): void {
  process.send?.(m);
}

function onCommand(handler: (c: Command) => void): void {
  process.on('message', (m) => handler(m as Command));
  process.on('disconnect', () => process.exit(0));
}

async function connect(url: string): Promise<amqp.ChannelModel> {
  const conn = await amqp.connect(url);
  conn.on('error', (err: Error) => send({ type: 'error', message: `connection error: ${err.message}` }));
  return conn;
}

async function producer(cfg: ProducerSpec): Promise<void> {
  const conn = await connect(cfg.url);
  const ch: amqp.Channel = cfg.confirmInFlight > 0 ? await conn.createConfirmChannel() : await conn.createChannel();
  ch.on('error', (err: Error) => send({ type: 'error', message: `channel error: ${err.message}` }));
  const fixed = Buffer.alloc(cfg.bodySize, 0x61);
  const opts: amqp.Options.Publish = cfg.persistent ? { persistent: true } : {};
  let running = false;
  let count = 0; // published (no confirms) or confirmed, since the mark
  let markedAt = nowMs();
  let measuring = false;
  let keyAt = 0;
  let outstanding = 0;
  let waitingDrain = false;
  const latencies: number[] = [];
  const nextKey = (): string => {
    const k = cfg.keys[keyAt] as string;
    keyAt = keyAt + 1 === cfg.keys.length ? 0 : keyAt + 1;
    return k;
  };
  const body = (): Buffer => {
    if (!cfg.stamp) return fixed;
    const b = Buffer.alloc(Math.max(8, cfg.bodySize), 0x61);
    b.writeBigInt64BE(process.hrtime.bigint(), 0);
    return b;
  };
  const onDrain = (): void => {
    waitingDrain = false;
    pump();
  };
  /** One publish; false when the channel's buffer is full ('drain' is awaited before the next). */
  const publishOne = (): boolean => {
    let ok: boolean;
    if (cfg.confirmInFlight > 0) {
      outstanding++;
      const sentAt = nowMs();
      const measured = measuring;
      ok = (ch as amqp.ConfirmChannel).publish(cfg.exchange, nextKey(), body(), opts, (err) => {
        outstanding--;
        if (err !== null && err !== undefined) {
          send({ type: 'error', message: `nacked: ${String(err)}` });
          return;
        }
        if (measuring) {
          count++;
          if (measured) latencies.push(nowMs() - sentAt);
        }
        if (!waitingDrain) pump();
      });
    } else {
      ok = ch.publish(cfg.exchange, nextKey(), body(), opts);
      count++;
    }
    if (!ok && !waitingDrain) {
      waitingDrain = true;
      ch.once('drain', onDrain);
    }
    return ok;
  };
  let scheduled = false;
  const pump = (): void => {
    if (!running || waitingDrain || cfg.rate > 0) return;
    if (cfg.confirmInFlight > 0) {
      while (running && outstanding < cfg.confirmInFlight && publishOne());
      return;
    }
    // Unbounded: publish in slices so the event loop (socket writes, IPC) keeps turning.
    for (let i = 0; i < 1000 && running; i++) if (!publishOne()) return;
    if (!scheduled) {
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        pump();
      });
    }
  };
  let rateTimer: NodeJS.Timeout | undefined;
  let rateStart = 0;
  let rateSent = 0;
  const startRate = (): void => {
    rateStart = nowMs();
    rateTimer = setInterval(() => {
      const due = Math.floor(((nowMs() - rateStart) * cfg.rate) / 1000) - rateSent;
      for (let i = 0; i < due && !waitingDrain; i++) {
        rateSent++;
        publishOne();
      }
    }, 1);
  };
  onCommand((c) => {
    switch (c.cmd) {
      case 'start':
        running = true;
        if (cfg.rate > 0) startRate();
        else pump();
        break;
      case 'mark':
        count = 0;
        latencies.length = 0;
        measuring = true;
        markedAt = nowMs();
        break;
      case 'report':
        send({ type: 'report', count, elapsedMs: nowMs() - markedAt, latency: cfg.confirmInFlight > 0 ? summarize(latencies) : undefined });
        measuring = false;
        break;
      case 'stop':
        running = false;
        if (rateTimer) clearInterval(rateTimer);
        void Promise.race([conn.close(), sleep(3000)])
          .catch(() => undefined)
          .then(() => process.exit(0));
        break;
    }
  });
  send({ type: 'ready' });
}

async function consumer(cfg: ConsumerSpec): Promise<void> {
  let count = 0;
  let markedAt = nowMs();
  const latencies: number[] = [];
  const conns: amqp.ChannelModel[] = [];
  // One connection per queue, so a broker can spread the queues over its cores.
  for (const queue of cfg.queues) {
    const conn = await connect(cfg.url);
    conns.push(conn);
    const ch = await conn.createChannel();
    ch.on('error', (err: Error) => send({ type: 'error', message: `channel error: ${err.message}` }));
    if (!cfg.noAck) await ch.prefetch(cfg.prefetch);
    await ch.consume(
      queue,
      (msg) => {
        if (msg === null) return;
        count++;
        if (cfg.stamped) latencies.push(Number(process.hrtime.bigint() - msg.content.readBigInt64BE(0)) / 1e6);
        if (!cfg.noAck) ch.ack(msg);
      },
      { noAck: cfg.noAck },
    );
  }
  onCommand((c) => {
    switch (c.cmd) {
      case 'mark':
        count = 0;
        latencies.length = 0;
        markedAt = nowMs();
        break;
      case 'report':
        send({ type: 'report', count, elapsedMs: nowMs() - markedAt, latency: cfg.stamped ? summarize(latencies) : undefined });
        break;
      case 'stop':
        void Promise.race([Promise.all(conns.map((c2) => c2.close())), sleep(3000)])
          .catch(() => undefined)
          .then(() => process.exit(0));
        break;
      default:
        break;
    }
  });
  send({ type: 'ready' });
}

async function connections(cfg: Extract<WorkerConfig, { role: 'connections' }>): Promise<void> {
  const conns: amqp.ChannelModel[] = [];
  let elapsedMs = 0;
  onCommand((c) => {
    switch (c.cmd) {
      case 'start': {
        const t0 = nowMs();
        let next = 0;
        const lane = async (): Promise<void> => {
          while (next < cfg.count) {
            next++;
            const conn = await connect(cfg.url);
            conns.push(conn);
            await conn.createChannel();
          }
        };
        Promise.all(Array.from({ length: cfg.concurrency }, lane)).then(
          () => {
            elapsedMs = nowMs() - t0;
            send({ type: 'report', count: conns.length, elapsedMs });
          },
          (err: Error) => send({ type: 'error', message: `opening connection ${conns.length + 1}: ${err.message}` }),
        );
        break;
      }
      case 'stop':
        void Promise.race([Promise.all(conns.map((c2) => c2.close().catch(() => undefined))), sleep(10_000)]).then(() =>
          process.exit(0),
        );
        break;
      default:
        break;
    }
  });
  send({ type: 'ready' });
}

async function fake(cfg: Extract<WorkerConfig, { role: 'fake' }>): Promise<void> {
  // Loaded here only: it pulls in the project's codec (TypeScript, through the require hook).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startFakeBroker } = require('../fake-broker') as typeof import('../fake-broker');
  const server = await startFakeBroker(cfg.mode, 0, cfg.bodySize);
  const address = server.address() as net.AddressInfo;
  onCommand((c) => {
    if (c.cmd === 'stop') process.exit(0);
  });
  send({ type: 'ready', port: address.port });
}

/** leveret-perf's roles, loaded here only: they pull in src/perf and the codec (through the require hook). */
function perf(role: 'producer' | 'consumer'): (c: WorkerConfig) => Promise<void> {
  return async (cfg) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const m = require('./perf-workers') as typeof import('./perf-workers');
    const ipc = { send, onCommand };
    if (role === 'producer') await m.perfProducer(cfg as ProducerSpec, ipc);
    else await m.perfConsumer(cfg as ConsumerSpec, ipc);
  };
}

export function runWorker(cfg: WorkerConfig): void {
  const roles = { producer, consumer, connections, fake, 'perf-producer': perf('producer'), 'perf-consumer': perf('consumer') };
  const run = roles[cfg.role] as (c: WorkerConfig) => Promise<void>;
  run(cfg).catch((err: unknown) => {
    send({ type: 'error', message: `${cfg.role}: ${err instanceof Error ? err.message : String(err)}` });
    setTimeout(() => process.exit(1), 100);
  });
}
