/**
 * Running one scenario against one broker: the worker processes it needs, the measured window (rates from the
 * workers, CPU and RSS from /proc), and the result record.
 */
import * as path from 'node:path';
import * as amqp from 'amqplib';
import * as proc from '../process';
import { log, nowMs, round, sleep, totalCpuSeconds, totalRssMiB } from '../process';
import { startBroker, type Broker, type BrokerName } from './brokers';
import { SATURATED_PCT, type ClientName, type FlowSpec, type Options, type Result, type ScenarioDef } from './scenarios';
import type { Command, Latency, WorkerConfig, WorkerMessage } from './workers';

/** The file the workers run: the suite itself, forked with `--worker`. */
const SUITE_SCRIPT = path.join(__dirname, '..', 'suite.ts');

type Worker = proc.Worker<WorkerConfig, Command, WorkerMessage>;

class WorkerGroup extends proc.WorkerGroup<WorkerConfig, Command, WorkerMessage> {
  constructor() {
    super(SUITE_SCRIPT);
  }
}

function cpuPct(seconds: number, elapsedS: number): number {
  return round((seconds / elapsedS) * 100);
}

/** Measures one worker set for warm-up + duration: rates from the workers, CPU of broker and clients from /proc. */
async function measureWindow(
  opts: Options,
  group: WorkerGroup,
  brokerPids: () => number[],
  producers: Worker[],
  consumers: Worker[],
): Promise<{ elapsedS: number; pub: WorkerMessage & { type: 'report' }; con: WorkerMessage & { type: 'report' } | undefined; brokerCpu: number; pubCpu: number; conCpu: number; brokerRss: number; brokerPeakRss: number }> {
  for (const p of producers) p.command({ cmd: 'start' });
  await group.race(sleep(opts.warmupS * 1000));
  for (const w of [...producers, ...consumers]) w.command({ cmd: 'mark' });
  const pubPids = producers.map((w) => w.pid);
  const conPids = consumers.map((w) => w.pid);
  const b0 = totalCpuSeconds(brokerPids());
  const p0 = totalCpuSeconds(pubPids);
  const c0 = totalCpuSeconds(conPids);
  const t0 = nowMs();
  let brokerPeakRss = totalRssMiB(brokerPids());
  const sampler = setInterval(() => {
    brokerPeakRss = Math.max(brokerPeakRss, totalRssMiB(brokerPids()));
  }, 250);
  try {
    await group.race(sleep(opts.durationS * 1000));
  } finally {
    clearInterval(sampler);
  }
  const reports = [...producers, ...consumers].map((w) => w.next('report'));
  for (const w of [...producers, ...consumers]) w.command({ cmd: 'report' });
  const elapsedS = (nowMs() - t0) / 1000;
  const brokerCpu = cpuPct(totalCpuSeconds(brokerPids()) - b0, elapsedS);
  const pubCpu = cpuPct(totalCpuSeconds(pubPids) - p0, elapsedS);
  const conCpu = cpuPct(totalCpuSeconds(conPids) - c0, elapsedS);
  const brokerRss = round(totalRssMiB(brokerPids()));
  const all = await group.race(Promise.all(reports));
  return { elapsedS, pub: all[0]!, con: all[1], brokerCpu, pubCpu, conCpu, brokerRss, brokerPeakRss: round(Math.max(brokerPeakRss, brokerRss)) };
}

let tagSeq = 0;

/** The worker roles of a client: amqplib's in workers.ts, leveret-perf's in perf-workers.ts. */
function roles(client: ClientName): { producer: 'producer' | 'perf-producer'; consumer: 'consumer' | 'perf-consumer' } {
  return client === 'amqplib' ? { producer: 'producer', consumer: 'consumer' } : { producer: 'perf-producer', consumer: 'perf-consumer' };
}

export async function flowScenario(def: ScenarioDef, broker: Broker, opts: Options, run: number, client: ClientName): Promise<Result> {
  const role = roles(client);
  const spec = def.flow as FlowSpec;
  const tag = `${def.name}.${run}.${++tagSeq}`;
  const admin = await amqp.connect(broker.url);
  const group = new WorkerGroup();
  let topology: { exchange: string; keys: string[]; queues: string[] } | undefined;
  try {
    const ch = await admin.createChannel();
    topology = await spec.topology(ch, tag);
    const con = group.add('consumer', {
      role: role.consumer,
      url: broker.url,
      queues: topology.queues,
      noAck: spec.noAck,
      prefetch: spec.prefetch,
      stamped: spec.stamp,
    });
    await group.race(con.next('ready'));
    const pub = group.add('producer', {
      role: role.producer,
      url: broker.url,
      exchange: topology.exchange,
      keys: topology.keys,
      bodySize: spec.bodySize,
      persistent: spec.persistent,
      confirmInFlight: spec.confirmInFlight,
      rate: spec.rate,
      stamp: spec.stamp,
    });
    await group.race(pub.next('ready'));
    const m = await measureWindow(opts, group, () => broker.pids(), [pub], [con]);
    const conReport = m.con as WorkerMessage & { type: 'report' };
    const result: Result = {
      scenario: def.name,
      broker: broker.name,
      client,
      run,
      durationS: round(m.elapsedS, 2),
      bodySize: spec.bodySize,
      deliveredPerS: Math.round(conReport.count / (conReport.elapsedMs / 1000)),
      brokerCpuPct: m.brokerCpu,
      producerCpuPct: m.pubCpu,
      consumerCpuPct: m.conCpu,
      brokerRssMiB: m.brokerRss,
      brokerPeakRssMiB: m.brokerPeakRss,
    };
    if (spec.confirmInFlight > 0) {
      const l = m.pub.latency as Latency;
      Object.assign(result, {
        confirmedPerS: Math.round(m.pub.count / (m.pub.elapsedMs / 1000)),
        confirmP50Ms: l.p50,
        confirmP99Ms: l.p99,
        confirmMaxMs: l.max,
      });
    } else {
      result.publishedPerS = Math.round(m.pub.count / (m.pub.elapsedMs / 1000));
    }
    if (spec.stamp) {
      const l = conReport.latency as Latency;
      Object.assign(result, { e2eP50Ms: l.p50, e2eP99Ms: l.p99, e2eP999Ms: l.p999, e2eMaxMs: l.max, latencySamples: l.samples });
    }
    await group.stopAll();
    let depth = 0;
    for (const q of topology.queues) depth += (await ch.checkQueue(q)).messageCount;
    result.queueDepthAtEnd = depth;
    result.clientSaturated = m.pubCpu >= SATURATED_PCT || m.conCpu >= SATURATED_PCT;
    return result;
  } finally {
    await group.stopAll();
    // Clean the broker for the next scenario; a fresh channel in case the first one was closed.
    if (topology !== undefined) {
      try {
        const ch = await admin.createChannel();
        for (const q of topology.queues) await ch.deleteQueue(q);
        if (topology.exchange !== '') await ch.deleteExchange(topology.exchange);
      } catch (err) {
        log(`cleanup on ${broker.name}: ${(err as Error).message}`);
      }
    }
    await admin.close().catch(() => undefined);
  }
}

export async function connectionsScenario(def: ScenarioDef, broker: Broker, _opts: Options, run: number): Promise<Result> {
  const count = 1000;
  const group = new WorkerGroup();
  try {
    const w = group.add('connections', { role: 'connections', url: broker.url, count, concurrency: 20 });
    await group.race(w.next('ready'));
    await sleep(500);
    const before = totalRssMiB(broker.pids());
    const b0 = totalCpuSeconds(broker.pids());
    const report = w.next('report');
    w.command({ cmd: 'start' });
    const r = await group.race(report);
    const brokerCpuS = totalCpuSeconds(broker.pids()) - b0;
    await sleep(1000);
    const after = totalRssMiB(broker.pids());
    return {
      scenario: def.name,
      broker: broker.name,
      client: 'amqplib',
      run,
      connections: r.count,
      openS: round(r.elapsedMs / 1000, 2),
      connectionsPerS: Math.round(r.count / (r.elapsedMs / 1000)),
      brokerCpuS: round(brokerCpuS, 2),
      rssBeforeMiB: round(before),
      rssAfterMiB: round(after),
      rssPerConnKiB: round(((after - before) * 1024) / r.count),
    };
  } finally {
    await group.stopAll();
  }
}

export async function startupScenario(def: ScenarioDef, name: BrokerName, run: number): Promise<Result> {
  const broker = await startBroker(name);
  try {
    await sleep(2000);
    return {
      scenario: def.name,
      broker: name,
      client: 'amqplib',
      run,
      startupMs: Math.round(broker.startupMs),
      idleRssMiB: round(totalRssMiB(broker.pids())),
      processes: broker.pids().length,
    };
  } finally {
    await broker.stop();
  }
}

export async function ceilingScenario(def: ScenarioDef, opts: Options, run: number, client: ClientName): Promise<Result> {
  const role = roles(client);
  const result: Result = { scenario: def.name, broker: 'none', client, run };
  for (const bodySize of [16, 1024]) {
    const label = bodySize === 16 ? '16' : '1k';
    // Producer against the sink.
    {
      const group = new WorkerGroup();
      try {
        const sink = group.add('sink', { role: 'fake', mode: 'sink', bodySize });
        const { port } = await group.race(sink.next('ready'));
        const url = `amqp://guest:guest@127.0.0.1:${port as number}`;
        const pub = group.add('producer', {
          role: role.producer, url, exchange: '', keys: ['bench'], bodySize, persistent: false, confirmInFlight: 0, rate: 0, stamp: false,
        });
        await group.race(pub.next('ready'));
        const m = await measureWindow(opts, group, () => [sink.pid], [pub], []);
        result[`producer${label}PerS`] = Math.round(m.pub.count / (m.pub.elapsedMs / 1000));
        result[`producer${label}CpuPct`] = m.pubCpu;
        result[`sink${label}CpuPct`] = m.brokerCpu;
      } finally {
        await group.stopAll();
      }
    }
    // Consumer fed by the source.
    {
      const group = new WorkerGroup();
      try {
        const source = group.add('source', { role: 'fake', mode: 'source', bodySize });
        const { port } = await group.race(source.next('ready'));
        const url = `amqp://guest:guest@127.0.0.1:${port as number}`;
        const con = group.add('consumer', { role: role.consumer, url, queues: ['bench'], noAck: true, prefetch: 0, stamped: false });
        await group.race(con.next('ready'));
        await group.race(sleep(opts.warmupS * 1000));
        con.command({ cmd: 'mark' });
        const c0 = totalCpuSeconds([con.pid]);
        const s0 = totalCpuSeconds([source.pid]);
        const t0 = nowMs();
        await group.race(sleep(opts.durationS * 1000));
        const rep = con.next('report');
        con.command({ cmd: 'report' });
        const elapsedS = (nowMs() - t0) / 1000;
        const conCpu = cpuPct(totalCpuSeconds([con.pid]) - c0, elapsedS);
        const srcCpu = cpuPct(totalCpuSeconds([source.pid]) - s0, elapsedS);
        const r = await group.race(rep);
        result[`consumer${label}PerS`] = Math.round(r.count / (r.elapsedMs / 1000));
        result[`consumer${label}CpuPct`] = conCpu;
        result[`source${label}CpuPct`] = srcCpu;
      } finally {
        // The consumer is flooded: its close handshake may never get through; stop() kills it after its timeout.
        await group.stopAll();
      }
    }
  }
  return result;
}
