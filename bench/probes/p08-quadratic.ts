/**
 * Probe 8: work that grows with the square of the consumer count.
 *   a. One connection adds N consumers (no-wait) to one queue (N = 100k; 20k against RabbitMQ), then closes.
 *      Figures: time to add them, time to close, and the longest round trip another connection saw while it
 *      closed (the stall every client sees).
 *   b. Consumers with rising x-priority (0, 1, 2, ...): time to add N = 10k, 20k, 40k (5k, 10k, 20k against
 *      RabbitMQ), each on a fresh queue and connection; a step over 30 s ends the series.
 * --scale multiplies N.
 */
import { RttMonitor } from './client';
import { addConsumers, sleep } from './common';
import { r1 } from './http';
import type { Probe, ProbeContext, ProbeOutcome } from './types';
import { Args, M } from './wire';

const STEP_LIMIT_MS = 30_000;

async function closeWithConsumers(ctx: ProbeContext, n: number): Promise<Record<string, unknown>> {
  const c = await ctx.connect();
  const ch = await c.openChannel();
  const q = ctx.name('p8-many');
  await c.queueDeclare(ch, q, { autoDelete: true });
  let addMs: number;
  try {
    addMs = await addConsumers(c, ch, q, n, undefined, 120_000);
  } catch (e) {
    c.destroy();
    return { consumers: n, error: `adding consumers: ${(e as Error).message}` };
  }
  const m = await RttMonitor.start(ctx.target.host, ctx.target.amqpPort);
  await sleep(300);
  m.reset();
  const t0 = performance.now();
  const closed = c.waitMethod(0, M.ConnectionCloseOk, 120_000).then(
    () => 'close-ok',
    (e: Error) => e.message,
  );
  c.send(0, M.ConnectionClose, new Args().short(200).shortstr('bye').short(0).short(0));
  const how = await closed;
  const closeMs = performance.now() - t0;
  // The broker may answer close-ok before it has finished removing the consumers: watch a little longer.
  await sleep(Math.min(3000, Math.max(500, closeMs)));
  const rtt = await m.stop();
  c.destroy();
  return { consumers: n, addSeconds: r1(addMs / 1000, 2), closeSeconds: r1(closeMs / 1000, 2), close: how, stallSeconds: r1(rtt.maxMs / 1000, 2), pings: rtt.samples };
}

async function risingPriority(ctx: ProbeContext, ns: number[]): Promise<Array<Record<string, unknown>>> {
  const out: Array<Record<string, unknown>> = [];
  for (const n of ns) {
    await ctx.recover();
    const c = await ctx.connect();
    const ch = await c.openChannel();
    const q = ctx.name(`p8-prio-${n}`);
    await c.queueDeclare(ch, q, { autoDelete: true });
    let ms: number | undefined;
    let error: string | undefined;
    try {
      ms = await addConsumers(c, ch, q, n, (i) => ({ 'x-priority': i }), STEP_LIMIT_MS);
    } catch (e) {
      error = (e as Error).message;
    }
    const t0 = performance.now();
    await c.close(STEP_LIMIT_MS);
    const closeMs = performance.now() - t0;
    out.push(ms === undefined ? { consumers: n, error } : { consumers: n, addSeconds: r1(ms / 1000, 2), closeSeconds: r1(closeMs / 1000, 2) });
    if (ms === undefined || ms > STEP_LIMIT_MS / 2) break;
  }
  return out;
}

export const quadraticProbe: Probe = {
  id: 8,
  name: 'quadratic consumer work',
  rabbitmq: true,
  budgetS: 240,
  async run(ctx): Promise<ProbeOutcome> {
    const rabbit = ctx.target.kind === 'rabbitmq';
    const s = ctx.options.scale * (rabbit ? 0.2 : 1);
    const a = await closeWithConsumers(ctx, Math.round(100_000 * s));
    await ctx.recover();
    const ns = [10_000, 20_000, 40_000].map((n) => Math.round(n * (rabbit ? 0.5 : 1) * ctx.options.scale));
    const b = await risingPriority(ctx, ns);
    const figA = a.error
      ? `${String(a.consumers)} consumers: ${String(a.error)}`
      : `close with ${String(a.consumers)} consumers: ${String(a.closeSeconds)} s, others stalled ${String(a.stallSeconds)} s (adding took ${String(a.addSeconds)} s)`;
    const figB = `rising x-priority add: ${b.map((r) => `${Number(r.consumers) / 1000}k ${r.error ? String(r.error).slice(0, 40) : `${String(r.addSeconds)} s`}`).join(', ')}`;
    return { figure: `${figA}; ${figB}`, details: { closeWithConsumers: a, risingPriority: b } };
  },
};
