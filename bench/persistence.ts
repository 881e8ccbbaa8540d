/**
 * Durability benchmark: persistent 1 KiB messages with publisher confirms through one durable queue, and a large
 * backlog (publish, restart, drain). Runs the compiled broker (dist/main.js) in its own process with a temporary
 * data directory, and every publisher and consumer in its own process too, so the figures are the broker's.
 *
 *   npm run build
 *   node -r ./bench/ts-register.cjs bench/persistence.ts --scenario all
 *   (or: npm run bench:persistence -- --scenario confirms --duration 30)
 *
 * Output: one JSON line per result on stdout, then a table; progress goes to stderr. See bench/README.md.
 *
 * The same file is the worker: the orchestrator forks it with `--worker <json>`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as amqp from 'amqplib';
import * as proc from './process';
import {
  children,
  cpuSeconds,
  freePort,
  killChildrenSync,
  log,
  nowMs,
  removeTempDir,
  removeTempDirsSync,
  round,
  rssMiB,
  sleep,
  stopChild,
  tempDir,
} from './process';

const ROOT = path.resolve(__dirname, '..');
const BROKER_MAIN = path.join(ROOT, 'dist', 'main.js');
const QUEUE = 'bench.persistence';
const BODY_BYTES = 1024;
const MIB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------------------------
// Worker processes: publishers and consumers
// ---------------------------------------------------------------------------------------------------------------

type WorkerConfig =
  | { role: 'confirm-publisher'; url: string; inFlight: number }
  | { role: 'acking-consumer'; url: string; prefetch: number }
  | { role: 'backlog-publisher'; url: string; inFlight: number; count: number; id: number }
  | { role: 'drain-consumer'; url: string; prefetch: number; expected: number; ackEvery: number };

/** Parent -> worker. */
type Command = { cmd: 'start' } | { cmd: 'mark' } | { cmd: 'report' } | { cmd: 'stop' };

/** Worker -> parent. */
type WorkerMessage =
  | { type: 'ready' }
  | { type: 'progress'; count: number }
  | { type: 'report'; count: number; elapsedMs: number; latency?: LatencySummary }
  | { type: 'done'; count: number; elapsedMs: number; redelivered?: number }
  | { type: 'error'; message: string };

interface LatencySummary {
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

function runWorker(cfg: WorkerConfig): void {
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

// ---------------------------------------------------------------------------------------------------------------
// Orchestrator: processes, /proc sampling
// ---------------------------------------------------------------------------------------------------------------

function cleanupSync(): void {
  killChildrenSync();
  removeTempDirsSync();
}

/** Samples a process's RSS every `everyMs`; keeps the peak. */
class RssSampler {
  peak = 0;
  last = 0;
  private readonly timer: NodeJS.Timeout;
  constructor(
    private readonly pid: number,
    everyMs = 500,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }
  sample(): void {
    try {
      this.last = rssMiB(this.pid);
      if (this.last > this.peak) this.peak = this.last;
    } catch {
      // process gone
    }
  }
  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.peak;
  }
}

function dirSizeMiB(dir: string): number {
  let total = 0;
  for (const name of fs.readdirSync(dir)) {
    const st = fs.statSync(path.join(dir, name));
    if (st.isFile()) total += st.size;
  }
  return total / MIB;
}

interface BrokerProcess {
  child: ChildProcess;
  pid: number;
  /** spawn -> the 'leveret started' log line */
  startupMs: number;
  url: string;
  /** The last lines of output, for error messages. */
  tail: string[];
}

async function startBrokerProcess(dataDir: string, port: number, durability: string): Promise<BrokerProcess> {
  if (!fs.existsSync(BROKER_MAIN)) throw new Error(`${BROKER_MAIN} is missing: run npm run build first`);
  const args = [BROKER_MAIN, '--port', String(port), '--bind', '127.0.0.1', '--http-port', '0', '--data-dir', dataDir];
  args.push('--log-level', 'info', '--durability', durability);
  const spawnedAt = nowMs();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT });
  children.add(child);
  const tail: string[] = [];
  const keep = (line: string): void => {
    tail.push(line);
    if (tail.length > 40) tail.shift();
  };
  return new Promise((resolve, reject) => {
    let buffered = '';
    let started = false;
    child.stdout!.setEncoding('utf8');
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) if (line.trim() !== '') keep(line);
    });
    child.stdout!.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        keep(line);
        if (started) continue;
        try {
          const entry = JSON.parse(line) as { msg?: string; level?: number };
          if (entry.msg === 'leveret started') {
            started = true;
            resolve({
              child,
              pid: child.pid as number,
              startupMs: nowMs() - spawnedAt,
              url: `amqp://guest:guest@127.0.0.1:${port}`,
              tail,
            });
          } else if ((entry.level ?? 0) >= 40) {
            log(`broker: ${line}`);
          }
        } catch {
          // not a JSON line
        }
      }
    });
    child.once('exit', (code, signal) => {
      if (!started) reject(new Error(`broker exited (code ${code}, signal ${signal}) before starting:\n${tail.join('\n')}`));
      else if (!stoppingBrokers.has(child)) log(`broker pid ${child.pid} exited unexpectedly (code ${code}, signal ${signal}):\n${tail.join('\n')}`);
    });
  });
}

const stoppingBrokers = new Set<ChildProcess>();

/** SIGTERM (graceful stop); returns how long the broker took to exit. */
async function stopBroker(broker: BrokerProcess): Promise<number> {
  const t0 = nowMs();
  stoppingBrokers.add(broker.child);
  await stopChild(broker.child, 'SIGTERM', 120_000);
  return nowMs() - t0;
}

type Worker = proc.Worker<WorkerConfig, Command, WorkerMessage>;

/** Rejects as soon as any worker reports an error, so a scenario never hangs on a dead client. */
class WorkerGroup extends proc.WorkerGroup<WorkerConfig, Command, WorkerMessage> {
  constructor() {
    super(__filename);
  }
}

function newDataDir(): string {
  return tempDir('leveret-bench-');
}

// ---------------------------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------------------------

interface Options {
  scenario: 'confirms' | 'backlog' | 'all';
  durationS: number;
  warmupS: number;
  backlog: number;
  repeat: number;
  inFlight: number;
  publishers: number;
  prefetch: number;
  durabilities: string[] | undefined;
}

type Result = Record<string, unknown>;

function emit(result: Result): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function confirmsScenario(opts: Options, durability: string, run: number): Promise<Result> {
  const dataDir = newDataDir();
  const broker = await startBrokerProcess(dataDir, await freePort(), durability);
  const group = new WorkerGroup();
  try {
    log(`confirms (${durability}, run ${run}): broker pid ${broker.pid} started in ${broker.startupMs.toFixed(0)} ms`);
    // The consumer declares the queue first, so the publisher never publishes to a missing queue.
    const consumer = group.add('consumer', { role: 'acking-consumer', url: broker.url, prefetch: opts.prefetch });
    await group.race(consumer.next('ready'));
    const publisher = group.add('publisher', { role: 'confirm-publisher', url: broker.url, inFlight: opts.inFlight });
    await group.race(publisher.next('ready'));

    publisher.command({ cmd: 'start' });
    await group.race(sleep(opts.warmupS * 1000));
    publisher.command({ cmd: 'mark' });
    consumer.command({ cmd: 'mark' });
    const rss = new RssSampler(broker.pid);
    const cpu0 = cpuSeconds(broker.pid);
    const pubCpu0 = cpuSeconds(publisher.child.pid as number);
    const conCpu0 = cpuSeconds(consumer.child.pid as number);
    const t0 = nowMs();
    await group.race(sleep(opts.durationS * 1000));
    const pubReport = publisher.next('report');
    const conReport = consumer.next('report');
    publisher.command({ cmd: 'report' });
    consumer.command({ cmd: 'report' });
    const cpu1 = cpuSeconds(broker.pid);
    const pubCpu = cpuSeconds(publisher.child.pid as number) - pubCpu0;
    const conCpu = cpuSeconds(consumer.child.pid as number) - conCpu0;
    const elapsedS = (nowMs() - t0) / 1000;
    const rssEnd = rss.last;
    const rssPeak = rss.stop();
    const [pub, con] = await group.race(Promise.all([pubReport, conReport]));
    const latency = pub.latency as LatencySummary;
    let queueDepthAtEnd = -1;
    {
      const check = await amqp.connect(broker.url);
      const ch = await check.createChannel();
      queueDepthAtEnd = (await ch.checkQueue(QUEUE)).messageCount;
      await check.close();
    }
    return {
      scenario: 'confirms',
      durability,
      run,
      durationS: opts.durationS,
      warmupS: opts.warmupS,
      inFlight: opts.inFlight,
      prefetch: opts.prefetch,
      bodyBytes: BODY_BYTES,
      confirmedPerS: Math.round(pub.count / (pub.elapsedMs / 1000)),
      confirmP50Ms: latency.p50,
      confirmP99Ms: latency.p99,
      confirmMaxMs: latency.max,
      latencySamples: latency.samples,
      deliveredPerS: Math.round(con.count / (con.elapsedMs / 1000)),
      brokerRssMiB: round(rssEnd),
      brokerPeakRssMiB: round(rssPeak),
      brokerCpuPct: round(((cpu1 - cpu0) / elapsedS) * 100),
      brokerStartupMs: Math.round(broker.startupMs),
      publisherCpuPct: round((pubCpu / elapsedS) * 100),
      consumerCpuPct: round((conCpu / elapsedS) * 100),
      queueDepthAtEnd,
    };
  } finally {
    await group.stopAll();
    await stopBroker(broker);
    removeTempDir(dataDir);
  }
}

/** Splits `total` into `parts` near-equal shares. */
function shares(total: number, parts: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < parts; i++) out.push(Math.floor(total / parts) + (i < total % parts ? 1 : 0));
  return out.filter((n) => n > 0);
}

/**
 * Tracks a phase's progress from the workers' counters: a log line every 10 s with the interval rate and the
 * broker's RSS, the interval rates kept for the result, and a stall guard (no progress for `stallS` -> error).
 */
class Progress {
  private readonly counts = new Map<Worker, number>();
  private lastTotal = 0;
  private lastAt = nowMs();
  private lastChangeAt = nowMs();
  readonly rates: number[] = [];
  private readonly timer: NodeJS.Timeout;
  private stalled: ((err: Error) => void) | undefined;
  readonly stall: Promise<never>;

  constructor(
    private readonly label: string,
    private readonly target: number,
    workers: Worker[],
    rss: RssSampler,
    stallS = 120,
  ) {
    this.stall = new Promise<never>((_, reject) => {
      this.stalled = reject;
    });
    this.stall.catch(() => undefined);
    for (const w of workers) {
      this.counts.set(w, 0);
      w.onProgress = (n) => {
        this.counts.set(w, n);
      };
    }
    this.timer = setInterval(() => {
      const total = this.total();
      const t = nowMs();
      const rate = ((total - this.lastTotal) / (t - this.lastAt)) * 1000;
      if (total !== this.lastTotal) this.lastChangeAt = t;
      this.rates.push(Math.round(rate));
      log(
        `${this.label}: ${total.toLocaleString('en')} / ${this.target.toLocaleString('en')} ` +
          `(${((total / this.target) * 100).toFixed(1)}%), ${Math.round(rate)} msg/s, broker RSS ${rss.last.toFixed(0)} MiB`,
      );
      if (t - this.lastChangeAt > stallS * 1000) {
        this.stalled?.(new Error(`${this.label}: no progress for ${stallS} s at ${total} of ${this.target}`));
      }
      this.lastTotal = total;
      this.lastAt = t;
    }, 10_000);
  }

  total(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

async function backlogScenario(opts: Options, durability: string, run: number): Promise<Result> {
  const dataDir = newDataDir();
  const port = await freePort();
  const total = opts.backlog;
  let broker = await startBrokerProcess(dataDir, port, durability);
  const result: Result = {
    scenario: 'backlog',
    durability,
    run,
    messages: total,
    bodyBytes: BODY_BYTES,
    publishers: 0,
    inFlightPerPublisher: opts.inFlight,
  };
  let group = new WorkerGroup();
  try {
    log(`backlog (${durability}, run ${run}): ${total.toLocaleString('en')} messages; broker pid ${broker.pid}`);

    // ---- publish ----
    {
      const declare = await amqp.connect(broker.url);
      const ch = await declare.createChannel();
      await ch.assertQueue(QUEUE, { durable: true });
      await declare.close();
    }
    const parts = shares(total, opts.publishers);
    result.publishers = parts.length;
    const publishers = parts.map((count, id) =>
      group.add(`publisher-${id}`, { role: 'backlog-publisher', url: broker.url, inFlight: opts.inFlight, count, id }),
    );
    await group.race(Promise.all(publishers.map((p) => p.next('ready'))));
    let rss = new RssSampler(broker.pid);
    let progress = new Progress('publish', total, publishers, rss);
    const cpu0 = cpuSeconds(broker.pid);
    const done = publishers.map((p) => p.next('done'));
    const t0 = nowMs();
    for (const p of publishers) p.command({ cmd: 'start' });
    const finished = await group.race(Promise.race([Promise.all(done), progress.stall]));
    const publishS = (nowMs() - t0) / 1000;
    progress.stop();
    const confirmed = finished.reduce((n, m) => n + m.count, 0);
    result.publishS = round(publishS);
    result.publishPerS = Math.round(confirmed / publishS);
    result.publishRatesPer10s = progress.rates;
    result.publishBrokerCpuPct = round(((cpuSeconds(broker.pid) - cpu0) / publishS) * 100);
    result.publishPeakRssMiB = round(rss.stop());
    result.rssAfterPublishMiB = round(rss.last);
    await group.stopAll();
    log(`published ${confirmed.toLocaleString('en')} in ${publishS.toFixed(1)} s (${result.publishPerS} msg/s)`);

    // ---- restart ----
    result.dataDirMiB = round(dirSizeMiB(dataDir));
    result.shutdownMs = Math.round(await stopBroker(broker));
    result.dataDirAfterStopMiB = round(dirSizeMiB(dataDir));
    const restartRss = { peak: 0 };
    const watchStart = setInterval(() => {
      // The broker's pid is not known to the caller until start resolves; sample whatever is newest.
      const newest = [...children].pop();
      if (newest?.pid !== undefined) {
        try {
          restartRss.peak = Math.max(restartRss.peak, rssMiB(newest.pid));
        } catch {
          // not yet / gone
        }
      }
    }, 100);
    try {
      broker = await startBrokerProcess(dataDir, port, durability);
    } finally {
      clearInterval(watchStart);
    }
    result.startupMs = Math.round(broker.startupMs);
    result.rssAfterStartMiB = round(rssMiB(broker.pid));
    result.peakRssDuringStartMiB = round(Math.max(restartRss.peak, result.rssAfterStartMiB as number));
    {
      const t = nowMs();
      const check = await amqp.connect(broker.url);
      const ch = await check.createChannel();
      const q = await ch.checkQueue(QUEUE);
      await check.close();
      result.firstConnectAndCheckMs = Math.round(nowMs() - t);
      result.recoveredMessages = q.messageCount;
    }
    log(
      `restart: shutdown ${result.shutdownMs} ms, start-up ${result.startupMs} ms, RSS ${result.rssAfterStartMiB} MiB, ` +
        `${Number(result.recoveredMessages).toLocaleString('en')} messages recovered`,
    );

    // ---- drain ----
    group = new WorkerGroup();
    const consumer = group.add('drain-consumer', {
      role: 'drain-consumer',
      url: broker.url,
      prefetch: 1000,
      expected: total,
      ackEvery: 500,
    });
    await group.race(consumer.next('ready'));
    rss = new RssSampler(broker.pid);
    progress = new Progress('drain', total, [consumer], rss);
    const cpu2 = cpuSeconds(broker.pid);
    const drained = consumer.next('done');
    const t2 = nowMs();
    consumer.command({ cmd: 'start' });
    const d = await group.race(Promise.race([drained, progress.stall]));
    const drainS = (nowMs() - t2) / 1000;
    progress.stop();
    result.drainS = round(drainS);
    result.drainPerS = Math.round(d.count / drainS);
    result.drainRatesPer10s = progress.rates;
    result.drainBrokerCpuPct = round(((cpuSeconds(broker.pid) - cpu2) / drainS) * 100);
    result.drained = d.count;
    result.drainedRedelivered = d.redelivered ?? 0;
    await group.stopAll();
    result.drainPeakRssMiB = round(rss.stop());
    // Acks are asynchronous: give the last multiple-ack a moment, then the queue must be empty.
    await sleep(500);
    {
      const check = await amqp.connect(broker.url);
      const ch = await check.createChannel();
      result.leftInQueue = (await ch.checkQueue(QUEUE)).messageCount;
      await check.close();
    }
    // SQLite keeps freed pages for reuse: the file does not shrink when the queue empties.
    result.dataDirAfterDrainMiB = round(dirSizeMiB(dataDir));
    result.ok = d.count === total && result.recoveredMessages === total && result.leftInQueue === 0;
    log(`drained ${d.count.toLocaleString('en')} in ${drainS.toFixed(1)} s (${result.drainPerS} msg/s), ok=${String(result.ok)}`);
    return result;
  } finally {
    await group.stopAll();
    await stopBroker(broker);
    removeTempDir(dataDir);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Command line, table
// ---------------------------------------------------------------------------------------------------------------

const USAGE = `usage: node -r ./bench/ts-register.cjs bench/persistence.ts [options]
  --scenario confirms|backlog|all   (default all)
  --duration <s>        measured seconds of the confirms scenario (default 30)
  --warmup <s>          unmeasured seconds before it (default 5)
  --backlog <n>         messages in the backlog scenario (default 10000000); 1e6, 3m, 500k are accepted
  --repeat <n>          runs of each scenario and durability (default 1)
  --in-flight <n>       unconfirmed messages per publisher (default 1000)
  --publishers <n>      publisher connections in the backlog scenario (default 1)
  --prefetch <n>        the confirms scenario's consumer prefetch (default 100)
  --durability <list>   fsync,relaxed; default: confirms runs both, backlog runs fsync
`;

function parseCount(raw: string): number {
  const m = /^(\d+(?:\.\d+)?(?:e\d+)?)([km]?)$/i.exec(raw.trim());
  if (!m) throw new Error(`not a count: ${raw}`);
  const unit = (m[2] ?? '').toLowerCase();
  return Math.round(Number(m[1]) * (unit === 'k' ? 1e3 : unit === 'm' ? 1e6 : 1));
}

function parseOptions(argv: string[]): Options {
  const opts: Options = {
    scenario: 'all',
    durationS: 30,
    warmupS: 5,
    backlog: 10_000_000,
    repeat: 1,
    inFlight: 1000,
    publishers: 1,
    prefetch: 100,
    durabilities: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--scenario': {
        const v = value();
        if (v !== 'confirms' && v !== 'backlog' && v !== 'all') throw new Error(`unknown scenario ${v}`);
        opts.scenario = v;
        break;
      }
      case '--duration':
        opts.durationS = Number(value());
        break;
      case '--warmup':
        opts.warmupS = Number(value());
        break;
      case '--backlog':
        opts.backlog = parseCount(value());
        break;
      case '--repeat':
        opts.repeat = parseCount(value());
        break;
      case '--in-flight':
        opts.inFlight = parseCount(value());
        break;
      case '--publishers':
        opts.publishers = parseCount(value());
        break;
      case '--prefetch':
        opts.prefetch = parseCount(value());
        break;
      case '--durability': {
        const list = value().split(',').map((s) => s.trim());
        for (const d of list) if (d !== 'fsync' && d !== 'relaxed') throw new Error(`unknown durability ${d}`);
        opts.durabilities = list;
        break;
      }
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${flag}\n${USAGE}`);
    }
  }
  for (const [name, n] of Object.entries({ duration: opts.durationS, backlog: opts.backlog, repeat: opts.repeat })) {
    if (!(n > 0)) throw new Error(`--${name} must be positive`);
  }
  return opts;
}

function printTable(results: Result[]): void {
  const lines: string[] = [];
  const confirms = results.filter((r) => r.scenario === 'confirms');
  if (confirms.length > 0) {
    lines.push('', 'confirms: persistent 1 KiB, one durable queue, 1 publisher (confirms) + 1 consumer (acks each message)');
    lines.push(
      pad(['durability', 'run', 'prefetch', 'confirmed/s', 'p50 ms', 'p99 ms', 'delivered/s', 'RSS MiB', 'peak MiB', 'CPU %']),
    );
    for (const r of confirms) {
      lines.push(
        pad([r.durability, r.run, r.prefetch, r.confirmedPerS, r.confirmP50Ms, r.confirmP99Ms, r.deliveredPerS, r.brokerRssMiB,
          r.brokerPeakRssMiB, r.brokerCpuPct]),
      );
    }
  }
  const backlog = results.filter((r) => r.scenario === 'backlog');
  if (backlog.length > 0) {
    lines.push('', 'backlog: publish N persistent 1 KiB with confirms, restart, drain (prefetch 1000, multiple acks)');
    lines.push(
      pad(['durability', 'messages', 'publish/s', 'peak MiB', 'data MiB', 'start ms', 'start MiB', 'drain/s',
        'drain peak', 'ok']),
    );
    for (const r of backlog) {
      lines.push(
        pad([r.durability, r.messages, r.publishPerS, r.publishPeakRssMiB, r.dataDirMiB, r.startupMs,
          r.rssAfterStartMiB, r.drainPerS, r.drainPeakRssMiB, r.ok]),
      );
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

function pad(cells: unknown[]): string {
  return cells.map((c, i) => String(c ?? '-')[i === 0 ? 'padEnd' : 'padStart'](i === 0 ? 11 : 12)).join(' ');
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const onSignal = (signal: NodeJS.Signals): void => {
    log(`${signal}: stopping everything this run started`);
    cleanupSync();
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', cleanupSync);

  const host = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version, date: new Date().toISOString() };
  log(`host: ${JSON.stringify(host)}; data dirs under ${os.tmpdir()}`);
  const results: Result[] = [];
  if (opts.scenario === 'confirms' || opts.scenario === 'all') {
    for (const durability of opts.durabilities ?? ['fsync', 'relaxed']) {
      for (let run = 1; run <= opts.repeat; run++) {
        const r = { ...(await confirmsScenario(opts, durability, run)), ...host };
        emit(r);
        results.push(r);
      }
    }
  }
  if (opts.scenario === 'backlog' || opts.scenario === 'all') {
    for (const durability of opts.durabilities ?? ['fsync']) {
      for (let run = 1; run <= opts.repeat; run++) {
        const r = { ...(await backlogScenario(opts, durability, run)), ...host };
        emit(r);
        results.push(r);
      }
    }
  }
  printTable(results);
}

const workerAt = process.argv.indexOf('--worker');
if (workerAt >= 0) {
  runWorker(JSON.parse(process.argv[workerAt + 1] as string) as WorkerConfig);
} else {
  main().then(
    () => {
      cleanupSync();
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      cleanupSync();
      process.exit(1);
    },
  );
}
