/**
 * Probe 6: content headers that announce huge bodies.
 *   a. On one connection, channel after channel: basic.publish, a content header announcing 128 MiB, and a first
 *      body frame of one byte. Stops at 2000 channels (200 against RabbitMQ), 10 s, a closed connection,
 *      or --mem-cap MiB of RSS growth. Figures: VmSize and VmRSS growth (/proc/<pid>/status).
 *   b. One channel announcing 2^62 bytes: what the broker says.
 */
import { MemWatch, seen, sleep } from './common';
import { r1 } from './http';
import type { Probe, ProbeContext, ProbeOutcome } from './types';
import { Args, FRAME_BODY, frame, headerFrame, M, methodFrame } from './wire';

const ANNOUNCED = 128 * 1024 * 1024;

function startBody(ch: number, size: number | bigint): Buffer {
  return Buffer.concat([
    methodFrame(ch, M.BasicPublish, new Args().short(0).shortstr('').shortstr('p6-nowhere').bit(false).bit(false)),
    headerFrame(ch, size),
    frame(FRAME_BODY, ch, Buffer.from('x')),
  ]);
}

async function manyChannels(ctx: ProbeContext, maxChannels: number, seconds: number): Promise<Record<string, unknown>> {
  const c = await ctx.connect();
  // Channel 1 stays free of content: a round trip on it shows that the frames sent before it were read.
  const sync = await c.openChannel();
  const limit = Math.min(maxChannels, c.channelMax - 1);
  const mem = new MemWatch(ctx.target.pid);
  const t0 = performance.now();
  let channels = 0;
  let stoppedBy = 'channel limit';
  while (channels < limit) {
    if ((performance.now() - t0) / 1000 > seconds) {
      stoppedBy = 'time';
      break;
    }
    const batch = Math.min(64, limit - channels);
    const parts: Buffer[] = [];
    for (let i = 1; i <= batch; i++) {
      const ch = sync + channels + i;
      parts.push(methodFrame(ch, M.ChannelOpen, new Args().shortstr('')), startBody(ch, ANNOUNCED));
    }
    c.write(Buffer.concat(parts));
    try {
      await c.ping(sync, 10_000);
    } catch (e) {
      stoppedBy = `connection: ${(e as Error).message}`.slice(0, 100);
      break;
    }
    channels += batch;
    if (mem.sample().rss > ctx.options.memCapMiB) {
      stoppedBy = 'memory cap';
      break;
    }
  }
  const ms = performance.now() - t0;
  await sleep(200);
  const g = mem.sample();
  c.destroy();
  await sleep(1000);
  const after = mem.sample();
  const refused = [...c.channelCloses.values()];
  return {
    channels,
    channelsClosedByBroker: refused.length,
    firstChannelClose: refused[0]?.message,
    seconds: r1(ms / 1000, 2),
    stoppedBy,
    vmGrowthGiB: r1(g.vm / 1024, 2),
    rssGrowthMiB: r1(g.rss),
    vmGrowthAfterCloseGiB: r1(after.vm / 1024, 2),
    brokerAlive: ctx.target.alive(),
  };
}

async function absurdSize(ctx: ProbeContext): Promise<string> {
  const c = await ctx.connect();
  const sync = await c.openChannel();
  const ch = await c.openChannel();
  const mem = new MemWatch(ctx.target.pid);
  c.write(startBody(ch, 2n ** 62n));
  const r = await seen(ctx, c.ping(sync, 3000), 3000);
  const g = mem.sample();
  c.destroy();
  const closed = c.channelCloses.get(ch);
  if (closed) return closed.message.replace('closed by the server: ', 'closed ');
  return r.ok ? `accepted (connection still answers), VmSize +${r1(g.vm / 1024, 2)} GiB` : r.what;
}

export const hugeBodiesProbe: Probe = {
  id: 6,
  name: 'huge announced bodies',
  rabbitmq: true,
  budgetS: 40,
  async run(ctx): Promise<ProbeOutcome> {
    const rabbit = ctx.target.kind === 'rabbitmq';
    const a = await manyChannels(ctx, rabbit ? 200 : Math.round(2000 * Math.min(1, ctx.options.scale)), 10);
    await ctx.recover();
    const b = await absurdSize(ctx);
    const figure = `${String(a.channels)} channels x 128 MiB announced in ${String(a.seconds)} s: VmSize +${String(a.vmGrowthGiB)} GiB, VmRSS +${String(a.rssGrowthMiB)} MiB (stopped by ${String(a.stoppedBy)}${a.channelsClosedByBroker ? `, ${String(a.channelsClosedByBroker)} channels closed by the broker` : ''}); 2^62 announced: ${b}`;
    return {
      figure,
      verdict: a.brokerAlive === false || b.startsWith('CRASHED') ? 'CRASHED' : 'survived',
      details: { announcedBytes: ANNOUNCED, manyChannels: a, announce2pow62: b },
    };
  },
};
