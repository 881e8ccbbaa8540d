/**
 * Probe 9: queue arguments nested 5,000 deep through the management API. PUT /api/queues/{vhost}/p9-deep with
 * {"arguments": {"x-deep": {"a": {"a": ...}}}}, then: does GET /api/queues answer (for everyone), does the queue
 * answer on AMQP, and (durable) does the broker start again with it.
 */
import { seen } from './common';
import { vh } from './http';
import type { Probe, ProbeContext, ProbeOutcome } from './types';

const DEPTH = 5000;

function nested(depth: number): Record<string, unknown> {
  let v: Record<string, unknown> = {};
  for (let i = 1; i < depth; i++) v = { a: v };
  return v;
}

interface Listings {
  getQueues: number;
  getQueue: number;
  getDefinitions: number;
}

async function listings(ctx: ProbeContext): Promise<Listings> {
  const api = ctx.api();
  return {
    getQueues: (await api.get('/api/queues')).status,
    getQueue: (await api.get(`/api/queues/${vh}/p9-deep`)).status,
    getDefinitions: (await api.get('/api/definitions')).status,
  };
}

export const deepArgumentsProbe: Probe = {
  id: 9,
  name: 'deeply nested queue arguments',
  rabbitmq: false,
  budgetS: 40,
  async run(ctx): Promise<ProbeOutcome> {
    const api = ctx.api();
    const put = await api.put(`/api/queues/${vh}/p9-deep`, { durable: true, auto_delete: false, arguments: { 'x-deep': nested(DEPTH) } }, { timeoutMs: 20_000 });
    const crashedAtPut = !ctx.target.alive();
    await ctx.recover();
    const before = await listings(ctx);
    const c = await ctx.connect();
    const ch = await c.openChannel();
    const passive = await seen(ctx, c.queueDeclare(ch, 'p9-deep', { passive: true }));
    c.destroy();
    let restart: string;
    let after: Listings | undefined;
    try {
      if (ctx.target.alive()) await ctx.target.restart();
      else await ctx.recover();
      const e = await ctx.target.waitExit(1000);
      restart = e !== undefined && !ctx.target.alive() ? `exited after start (${e.code ?? e.signal})` : 'starts';
      if (ctx.target.alive()) after = await listings(ctx);
    } catch (err) {
      restart = `does not start: ${(err as Error).message}`.slice(0, 160);
    }
    const figure = `PUT (depth ${DEPTH}): HTTP ${put.status}${crashedAtPut ? ' (CRASHED)' : ''}; then GET /api/queues ${before.getQueues}, GET the queue ${before.getQueue}, definitions ${before.getDefinitions}; AMQP passive declare: ${passive.ok ? 'ok' : passive.what}; restart: ${restart}${after ? `, then GET /api/queues ${after.getQueues}` : ''}`;
    const broken = before.getQueues >= 500 || (after?.getQueues ?? 0) >= 500 || crashedAtPut || !restart.startsWith('starts');
    return {
      figure,
      verdict: crashedAtPut ? 'CRASHED' : broken ? 'survived, listing broken' : 'survived',
      details: { depth: DEPTH, put: { status: put.status, body: put.body.slice(0, 300) }, before, passive: passive.ok ? 'ok' : passive.what, restart, after },
    };
  },
};
