/**
 * The persistence benchmark's client processes (confirm publisher, acking consumer, backlog publisher, drain
 * consumer), each run by bench/persistence.ts forked with `--worker <json>`, driven over IPC.
 */
import * as amqp from 'amqplib';
import { nowMs, round } from '../process';

export const QUEUE = 'bench.persistence';
export const BODY_BYTES = 1024;

export type WorkerConfig =
  | { role: 'confirm-publisher'; url: string; inFlight: number }
  | { role: 'acking-consumer'; url: string; prefetch: number }
  | { role: 'backlog-publisher'; url: string; inFlight: number; count: number; id: number }
  | { role: 'drain-consumer'; url: string; prefetch: number; expected: number; ackEvery: number };

/** Parent -> worker. */
export type Command = { cmd: 'start' } | { cmd: 'mark' } | { cmd: 'report' } | { cmd: 'stop' };

/** Worker -> parent. */
export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'progress'; count: number }
  | { type: 'report'; count: number; elapsedMs: number; latency?: LatencySummary }
  | { type: 'done'; count: number; elapsedMs: number; redelivered?: number }
  | { type: 'error'; message: string };

export interface LatencySummary {
  samples: number;
  p50: number;
  p99: number;
  max: number;
}

function send(message: WorkerMessage): void {
  process.send?.(message);
}

function summarize(samples: number[]): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number): number => (sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number));
  return { samples: sorted.length, p50: round(at(0.5), 2), p99: round(at(0.99), 2), max: round(at(1), 2) };
}

function onCommand(handler: (c: Command) => void): void {
  process.on('message', (m) => handler(m as Command));
  // The orchestrator is gone: nothing left to measure for.
  process.on('disconnect', () => process.exit(0));
}

async function openConnection(url: string): Promise<amqp.ChannelModel> {
  const conn = await amqp.connect(url);
  conn.on('error', (err: Error) => {
    send({ type: 'error', message: `connection error: ${err.message}` });
  });
  return conn;
}

/** Confirms scenario: keeps `inFlight` persistent messages unconfirmed; measures each one's confirm latency. */
async function confirmPublisher(cfg: Extract<WorkerConfig, { role: 'confirm-publisher' }>): Promise<void> {
  const conn = await openConnection(cfg.url);
  const ch = await conn.createConfirmChannel();
  await ch.assertQueue(QUEUE, { durable: true });
  const body = Buffer.alloc(BODY_BYTES, 0x61);
  let running = false;
  let measuring = false;
  let outstanding = 0;
  let confirmed = 0;
  let markedAt = 0;
  const latencies: number[] = [];
  let failed = false;

  const onConfirm = (err: unknown, sentAt: number, measured: boolean): void => {
    outstanding--;
    if (err !== null && err !== undefined) {
      if (!failed) send({ type: 'error', message: `publish nacked: ${String(err)}` });
      failed = true;
      return;
    }
    if (measuring) {
      confirmed++;
      if (measured) latencies.push(nowMs() - sentAt);
    }
    pump();
  };
  const pump = (): void => {
    while (running && outstanding < cfg.inFlight) {
      outstanding++;
      const sentAt = nowMs();
      const measured = measuring;
      ch.publish('', QUEUE, body, { persistent: true }, (err) => onConfirm(err, sentAt, measured));
    }
  };

  onCommand((c) => {
    switch (c.cmd) {
      case 'start':
        running = true;
        pump();
        break;
      case 'mark':
        measuring = true;
        confirmed = 0;
        latencies.length = 0;
        markedAt = nowMs();
        break;
      case 'report':
        send({ type: 'report', count: confirmed, elapsedMs: nowMs() - markedAt, latency: summarize(latencies) });
        measuring = false;
        break;
      case 'stop':
        running = false;
        void ch
          .waitForConfirms()
          .catch(() => undefined)
          .then(() => conn.close())
          .catch(() => undefined)
          .then(() => process.exit(0));
        break;
    }
  });
  send({ type: 'ready' });
}

/** Confirms scenario: consumes with a prefetch and acks every message on its own. */
async function ackingConsumer(cfg: Extract<WorkerConfig, { role: 'acking-consumer' }>): Promise<void> {
  const conn = await openConnection(cfg.url);
  const ch = await conn.createChannel();
  await ch.assertQueue(QUEUE, { durable: true });
  await ch.prefetch(cfg.prefetch);
  let delivered = 0;
  let markedAt = nowMs();
  await ch.consume(QUEUE, (msg) => {
    if (msg === null) return;
    delivered++;
    ch.ack(msg);
  });
  onCommand((c) => {
    switch (c.cmd) {
      case 'mark':
        delivered = 0;
        markedAt = nowMs();
        break;
      case 'report':
        send({ type: 'report', count: delivered, elapsedMs: nowMs() - markedAt });
        break;
      case 'stop':
        void conn
          .close()
          .catch(() => undefined)
          .then(() => process.exit(0));
        break;
      default:
        break;
    }
  });
  send({ type: 'ready' });
}

/** Backlog scenario: publishes exactly `count` persistent messages, `inFlight` unconfirmed at most. */
async function backlogPublisher(cfg: Extract<WorkerConfig, { role: 'backlog-publisher' }>): Promise<void> {
  const conn = await openConnection(cfg.url);
  const ch = await conn.createConfirmChannel();
  await ch.assertQueue(QUEUE, { durable: true });
  const body = Buffer.alloc(BODY_BYTES, 0x62);
  let sent = 0;
  let confirmed = 0;
  let outstanding = 0;
  let startedAt = 0;
  let finished = false;
  let progressTimer: NodeJS.Timeout | undefined;

  const onConfirm = (err: unknown): void => {
    outstanding--;
    if (err !== null && err !== undefined) {
      send({ type: 'error', message: `publish nacked: ${String(err)}` });
      return;
    }
    confirmed++;
    if (confirmed === cfg.count) {
      finished = true;
      if (progressTimer) clearInterval(progressTimer);
      send({ type: 'done', count: confirmed, elapsedMs: nowMs() - startedAt });
      return;
    }
    pump();
  };
  const pump = (): void => {
    while (outstanding < cfg.inFlight && sent < cfg.count) {
      outstanding++;
      sent++;
      ch.publish('', QUEUE, body, { persistent: true }, onConfirm);
    }
  };
  onCommand((c) => {
    switch (c.cmd) {
      case 'start':
        startedAt = nowMs();
        progressTimer = setInterval(() => send({ type: 'progress', count: confirmed }), 1000);
        pump();
        break;
      case 'stop':
        if (progressTimer) clearInterval(progressTimer);
        void (finished ? conn.close() : Promise.resolve())
          .catch(() => undefined)
          .then(() => process.exit(0));
        break;
      default:
        break;
    }
  });
  send({ type: 'ready' });
}

/** Backlog scenario: drains the queue with a prefetch, acking `ackEvery` deliveries at once (multiple=true). */
async function drainConsumer(cfg: Extract<WorkerConfig, { role: 'drain-consumer' }>): Promise<void> {
  const conn = await openConnection(cfg.url);
  const ch = await conn.createChannel();
  await ch.prefetch(cfg.prefetch);
  let received = 0;
  let redelivered = 0;
  let unacked = 0;
  let last: amqp.ConsumeMessage | null = null;
  let startedAt = 0;
  let progressTimer: NodeJS.Timeout | undefined;
  let doneSent = false;

  const ackNow = (): void => {
    if (last !== null && unacked > 0) ch.ack(last, true);
    unacked = 0;
  };
  // A straggling partial batch (fewer than ackEvery) is acked on a timer so the queue never stalls on it.
  const idleAck = setInterval(ackNow, 200);

  onCommand((c) => {
    switch (c.cmd) {
      case 'start':
        startedAt = nowMs();
        progressTimer = setInterval(() => send({ type: 'progress', count: received }), 1000);
        void ch
          .consume(QUEUE, (msg) => {
            if (msg === null) return;
            received++;
            if (msg.fields.redelivered) redelivered++;
            last = msg;
            if (++unacked >= cfg.ackEvery || received === cfg.expected) ackNow();
            if (received === cfg.expected && !doneSent) {
              doneSent = true;
              send({ type: 'done', count: received, elapsedMs: nowMs() - startedAt, redelivered });
            }
          })
          .catch((err: Error) => send({ type: 'error', message: `consume failed: ${err.message}` }));
        break;
      case 'report':
        send({ type: 'report', count: received, elapsedMs: nowMs() - startedAt });
        break;
      case 'stop':
        clearInterval(idleAck);
        if (progressTimer) clearInterval(progressTimer);
        ackNow();
        void conn
          .close()
          .catch(() => undefined)
          .then(() => process.exit(0));
        break;
      default:
        break;
    }
  });
  send({ type: 'ready' });
}

export function runWorker(cfg: WorkerConfig): void {
  const run = {
    'confirm-publisher': () => confirmPublisher(cfg as Extract<WorkerConfig, { role: 'confirm-publisher' }>),
    'acking-consumer': () => ackingConsumer(cfg as Extract<WorkerConfig, { role: 'acking-consumer' }>),
    'backlog-publisher': () => backlogPublisher(cfg as Extract<WorkerConfig, { role: 'backlog-publisher' }>),
    'drain-consumer': () => drainConsumer(cfg as Extract<WorkerConfig, { role: 'drain-consumer' }>),
  }[cfg.role];
  run().catch((err: unknown) => {
    send({ type: 'error', message: `${cfg.role}: ${err instanceof Error ? err.message : String(err)}` });
    setTimeout(() => process.exit(1), 100);
  });
}
