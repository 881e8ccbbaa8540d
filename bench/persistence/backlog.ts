/**
 * The backlog scenario: publish N persistent 1 KiB messages with confirms, restart the broker, drain the queue;
 * publish rate, data size, start-up time and memory, drain rate.
 */
import * as amqp from 'amqplib';
import { children, cpuSeconds, freePort, log, nowMs, removeTempDir, round, rssMiB, sleep } from '../process';
import type { Options, Result } from './options';
import {
  RssSampler,
  dirSizeMiB,
  newDataDir,
  startBrokerProcess,
  stopBroker,
  type Worker,
  WorkerGroup,
} from './processes';
import { BODY_BYTES, QUEUE } from './workers';

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

export async function backlogScenario(opts: Options, durability: string, run: number): Promise<Result> {
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
