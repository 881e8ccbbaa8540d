/**
 * The confirms scenario: persistent 1 KiB messages through one durable queue, one publisher keeping `inFlight`
 * unconfirmed, one consumer acking each message; confirmed rate, confirm latency, broker CPU and RSS.
 */
import * as amqp from 'amqplib';
import { cpuSeconds, freePort, log, nowMs, removeTempDir, round, sleep } from '../process';
import type { Options, Result } from './options';
import { RssSampler, newDataDir, startBrokerProcess, stopBroker, WorkerGroup } from './processes';
import { BODY_BYTES, QUEUE, type LatencySummary } from './workers';

export async function confirmsScenario(opts: Options, durability: string, run: number): Promise<Result> {
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
