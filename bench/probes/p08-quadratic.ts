/**
 * Probe 8: work that grows with the square of the consumer count.
 *   a. One connection adds N consumers (no-wait) to one queue (N = 10k and 100k; 10k against RabbitMQ), then closes.
 *      Figures: time to add them, time to close, and the longest round trip another connection saw while it
 *      closed (the stall every client sees).
 *   b. Consumers with rising x-priority (0, 1, 2, ...): time to add N = 10k, 20k, 40k (2.5k, 5k, 10k against
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
  const c = await ctx.connect({ timeoutMs: 30_000 });
  const ch = await c.openChannel(30_000);
  const q = ctx.name('p8-many');
  await c.queueDeclare(ch, q, { autoDelete: true }, 30_000);
  let addMs: number;
  try {
    addMs = await addConsumers(c, ch, q, n, undefined, 120_000);
  } catch (e) {
    c.destroy();
    return { consumers: n, error: `adding consumers: ${(e as Error).message}` };
  }
  const m = await RttMonitor.start(ctx.target.host, ctx.target.amqpPort, { timeoutMs: 30_000 });
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
    let ms: number | undefined;
    let error: string | undefined;
    let closeMs = 0;
    try {
      const c = await ctx.connect({ timeoutMs: STEP_LIMIT_MS });
      const ch = await c.openChannel(STEP_LIMIT_MS);
      const q = ctx.name(`p8-prio-${n}`);
      await c.queueDeclare(ch, q, { autoDelete: true }, STEP_LIMIT_MS);
      try {
        ms = await addConsumers(c, ch, q, n, (i) => ({ 'x-priority': i }), STEP_LIMIT_MS);
      } catch (e) {
        error = (e as Error).message;
      }
      const t0 = performance.now();
      await c.close(STEP_LIMIT_MS);
      closeMs = performance.now() - t0;
    } catch (e) {
      error = `setting up: ${(e as Error).message}`;
    }
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
    // RabbitMQ is shared and itself slow here (10k consumers on one queue take it ~9 s): 10k only, and a shorter series.
    const counts = (rabbit ? [10_000] : [10_000, 100_000]).map((n) => Math.round(n * ctx.options.scale));
    const a: Array<Record<string, unknown>> = [];
    for (const n of counts) {
      await ctx.recover();
      a.push(await closeWithConsumers(ctx, n).catch((e: Error) => ({ consumers: n, error: e.message }) as Record<string, unknown>));
    }
    await ctx.recover();
    const ns = (rabbit ? [2_500, 5_000, 10_000] : [10_000, 20_000, 40_000]).map((n) => Math.round(n * ctx.options.scale));
    const b = await risingPriority(ctx, ns);
    const figA = a
      .map((r) =>
        r.error
          ? `${String(r.consumers)} consumers: ${String(r.error)}`
          : `close with ${Number(r.consumers) / 1000}k consumers: ${String(r.closeSeconds)} s, others stalled ${String(r.stallSeconds)} s (adding took ${String(r.addSeconds)} s)`,
      )
      .join('; ');
    const figB = `rising x-priority add: ${b.map((r) => `${Number(r.consumers) / 1000}k ${r.error ? String(r.error).slice(0, 40) : `${String(r.addSeconds)} s`}`).join(', ')}`;
    return { figure: `${figA}; ${figB}`, details: { closeWithConsumers: a, risingPriority: b } };
  },
};
