/**
 * Probe 3: a client that never reads its socket. It asks for output that it never collects, and the probe watches
 * the broker's RSS grow against the bytes the client managed to send:
 *   a. basic.get + basic.recover(requeue) in a loop on a queue holding one 4 KiB message (each pair: ~30 bytes in,
 *      one delivery out);
 *   b. mandatory publishes of 4 KiB to an exchange with no binding (each comes back as basic.return).
 * Each runs for at most its time (4.5 s and 3 s as in the issue) or until the broker has grown by --mem-cap MiB
 * (a quarter of it against RabbitMQ); a broker that stops reading (back-pressure) simply lets the client send less.
 * Each attack gets a fresh Leveret (the memory the first took is not given back, so the second would reuse it).
 */
import { AmqpClient } from './client';
import { MemWatch, sleep } from './common';
import { r1 } from './http';
import type { Probe, ProbeContext, ProbeOutcome } from './types';
import { Args, M, methodFrame, publishFrames } from './wire';

const BODY = 4096;

interface Flood {
  seconds: number;
  sentMiB: number;
  rssGrowthMiB: number;
  peakRssGrowthMiB: number;
  vmGrowthMiB: number;
  /** RSS growth per MiB the client sent. */
  rssPerSentMiB: number;
  stoppedBy: 'time' | 'memory cap' | 'connection closed';
  brokerAlive: boolean;
  /** RSS growth 2 s after the client went away. */
  rssGrowthAfterMiB: number;
}

/** Writes `unit` repeatedly to a paused client for at most `seconds`, or until the broker grew by `capMiB`. */
async function flood(ctx: ProbeContext, c: AmqpClient, unit: Buffer, seconds: number, capMiB: number): Promise<Flood> {
  const mem = new MemWatch(ctx.target.pid);
  c.pause();
  const sent0 = c.bytesSent;
  const batch = Buffer.concat(Array.from({ length: Math.max(1, Math.floor(65536 / unit.length)) }, () => unit));
  const t0 = performance.now();
  let stoppedBy: Flood['stoppedBy'] = 'time';
  let lastSample = 0;
  while (performance.now() - t0 < seconds * 1000) {
    if (c.socket.destroyed) {
      stoppedBy = 'connection closed';
      break;
    }
    if (c.socket.writableLength < 1 << 20) c.write(batch);
    else await sleep(5);
    if (performance.now() - lastSample > 50) {
      lastSample = performance.now();
      if (mem.sample().rss > capMiB) {
        stoppedBy = 'memory cap';
        break;
      }
      await new Promise((r) => setImmediate(r));
    }
  }
  const elapsed = (performance.now() - t0) / 1000;
  const g = mem.sample();
  // What the client wrote into its socket and the kernel took (not what waits in Node's buffer).
  const sent = c.bytesSent - sent0 - c.socket.writableLength;
  c.destroy();
  await sleep(2000);
  const after = mem.sample();
  return {
    seconds: r1(elapsed, 2),
    sentMiB: r1(sent / 1048576, 2),
    rssGrowthMiB: r1(g.rss),
    peakRssGrowthMiB: r1(mem.peakRss - mem.rss0),
    vmGrowthMiB: r1(g.vm),
    rssPerSentMiB: sent > 0 ? r1(g.rss / (sent / 1048576)) : 0,
    stoppedBy,
    brokerAlive: ctx.target.alive(),
    rssGrowthAfterMiB: r1(after.rss),
  };
}

async function getRecoverLoop(ctx: ProbeContext, seconds: number, capMiB: number): Promise<Flood> {
  const c = await ctx.connect();
  const ch = await c.openChannel();
  const q = ctx.name('p3-get');
  await c.queueDeclare(ch, q, { exclusive: true });
  c.write(publishFrames(ch, '', q, Buffer.alloc(BODY, 0x61)));
  await c.ping(ch);
  const unit = Buffer.concat([
    methodFrame(ch, M.BasicGet, new Args().short(0).shortstr(q).bit(false)),
    methodFrame(ch, M.BasicRecover, new Args().bit(true)),
  ]);
  return flood(ctx, c, unit, seconds, capMiB);
}

async function mandatoryReturns(ctx: ProbeContext, seconds: number, capMiB: number): Promise<Flood> {
  const c = await ctx.connect();
  const ch = await c.openChannel();
  const unit = publishFrames(ch, 'amq.direct', ctx.name('p3-nowhere'), Buffer.alloc(BODY, 0x62), { mandatory: true });
  return flood(ctx, c, unit, seconds, capMiB);
}

function describe(f: Flood): string {
  return `${f.sentMiB} MiB sent -> RSS +${f.rssGrowthMiB} MiB in ${f.seconds} s (${f.rssPerSentMiB}x, stopped by ${f.stoppedBy}${f.brokerAlive ? '' : ', BROKER GONE'})`;
}

export const outputBufferingProbe: Probe = {
  id: 3,
  name: 'unbounded output buffering',
  rabbitmq: true,
  budgetS: 40,
  async run(ctx): Promise<ProbeOutcome> {
    const rabbit = ctx.target.kind === 'rabbitmq';
    const cap = rabbit ? Math.min(256, ctx.options.memCapMiB / 4) : ctx.options.memCapMiB;
    const a = await getRecoverLoop(ctx, rabbit ? 3 : 4.5, cap);
    if (!rabbit) await ctx.target.fresh();
    const b = await mandatoryReturns(ctx, 3, cap);
    return {
      figure: `get+recover: ${describe(a)}; mandatory returns: ${describe(b)}`,
      verdict: !a.brokerAlive || !b.brokerAlive ? 'CRASHED' : a.stoppedBy === 'memory cap' || b.stoppedBy === 'memory cap' ? `survived; grew to the ${cap} MiB cap` : 'survived',
      details: { memCapMiB: cap, bodyBytes: BODY, getRecover: a, mandatoryReturns: b },
    };
  },
};
