/**
 * Probe 4: user regular expressions run on the event loop. The pattern ^(a+)+$ against a 29-character name made to
 * backtrack ('a' x 28 + '!'):
 *   a. GET /api/queues?use_regex=true&name=^(a+)+$ with such a queue present (and, if that comes back fast, the
 *      same with page=1, the form RabbitMQ filters in);
 *   b. a policy with that pattern, then queue.declare of such a name.
 * Figures: the request's (declare's) duration and the longest round trip another AMQP connection saw meanwhile.
 */
import { RttMonitor } from './client';
import { r1, vh } from './http';
import type { Probe, ProbeContext, ProbeOutcome } from './types';

const NAME = `${'a'.repeat(28)}!`;
const PATTERN = '^(a+)+$';

async function monitor(ctx: ProbeContext): Promise<RttMonitor> {
  const m = await RttMonitor.start(ctx.target.host, ctx.target.amqpPort);
  await new Promise((r) => setTimeout(r, 200));
  m.reset();
  return m;
}

async function listing(ctx: ProbeContext): Promise<Record<string, unknown>> {
  const api = ctx.api();
  await api.get('/api/overview'); // the API is built at its first request: not part of the figure
  const c = await ctx.connect();
  const ch = await c.openChannel();
  await c.queueDeclare(ch, NAME);
  const out: Record<string, unknown> = {};
  for (const query of ['', '&page=1&page_size=100']) {
    const m = await monitor(ctx);
    const r = await api.get(`/api/queues?use_regex=true&name=${encodeURIComponent(PATTERN)}${query}`, { timeoutMs: 60_000 });
    const rtt = await m.stop();
    out[query === '' ? 'plain' : 'paged'] = { status: r.status, ms: Math.round(r.ms), amqpStallMs: Math.round(rtt.maxMs), error: r.error };
    if (r.ms > 500 || !ctx.target.alive()) break;
  }
  await c.queueDelete(ch, NAME).catch(() => undefined);
  await c.close();
  return out;
}

async function policy(ctx: ProbeContext): Promise<Record<string, unknown>> {
  const api = ctx.api();
  const put = await api.put(`/api/policies/${vh}/p4-backtrack`, { pattern: PATTERN, definition: { 'max-length': 1000 }, 'apply-to': 'queues' }, { timeoutMs: 60_000 });
  const c = await ctx.connect();
  const ch = await c.openChannel();
  const m = await monitor(ctx);
  const t0 = performance.now();
  let declare: string;
  try {
    await c.queueDeclare(ch, NAME, {}, 60_000);
    declare = 'ok';
  } catch (e) {
    declare = (e as Error).message;
  }
  const ms = performance.now() - t0;
  const rtt = await m.stop();
  await c.close();
  await api.del(`/api/policies/${vh}/p4-backtrack`);
  return { policyPut: put.status, declare, declareMs: Math.round(ms), amqpStallMs: Math.round(rtt.maxMs) };
}

export const regexProbe: Probe = {
  id: 4,
  name: 'regular expressions on the event loop',
  rabbitmq: false,
  budgetS: 150,
  async run(ctx): Promise<ProbeOutcome> {
    const a = await listing(ctx);
    await ctx.recover();
    const b = await policy(ctx);
    const plain = a.plain as { status: number; ms: number; amqpStallMs: number };
    const paged = a.paged as { status: number; ms: number; amqpStallMs: number } | undefined;
    const list = `GET /api/queues?use_regex: HTTP ${plain.status} in ${r1(plain.ms / 1000, 2)} s, AMQP stall ${r1(plain.amqpStallMs / 1000, 2)} s${paged ? ` (paged: ${paged.status} in ${r1(paged.ms / 1000, 2)} s, stall ${r1(paged.amqpStallMs / 1000, 2)} s)` : ''}`;
    const pol = `policy + queue.declare: ${b.declare} in ${r1((b.declareMs as number) / 1000, 2)} s, AMQP stall ${r1((b.amqpStallMs as number) / 1000, 2)} s`;
    return { figure: `${list}; ${pol} (name ${NAME.length} chars)`, details: { name: NAME, pattern: PATTERN, listing: a, policy: b } };
  },
};
