/**
 * Probe 9: queue arguments nested 5,000 deep through the management API. PUT /api/queues/{vhost}/p9-deep with
 * {"arguments": {"x-deep": {"a": {"a": ...}}}}, durable (and, if that is refused, transient), then: does GET
 * /api/queues answer (for everyone), does the queue answer on AMQP, and does the broker start again afterwards.
 */
import { seen } from './common';
import { vh } from './http';
import type { Probe, ProbeContext, ProbeOutcome } from './types';

const DEPTH = 5000;

/** The PUT body as text, `{"a":{"a":...{}}}` nested `depth` objects deep under x-deep (built without recursion). */
function body(depth: number, durable: boolean): string {
  return `{"durable":${durable},"auto_delete":false,"arguments":{"x-deep":${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}}}`;
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
    const exits0 = ctx.target.exits.length;
    const json = { timeoutMs: 20_000, headers: { 'content-type': 'application/json' } };
    // Durable first (the store encodes the arguments at once), then transient (nothing encodes them at the PUT).
    const putDurable = await api.put(`/api/queues/${vh}/p9-deep`, body(DEPTH, true), json);
    await ctx.recover();
    const put = putDurable.status < 300 ? putDurable : await api.put(`/api/queues/${vh}/p9-deep`, body(DEPTH, false), json);
    const crashedAtPut = ctx.target.exits.length > exits0 || !ctx.target.alive();
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
    const figure = `PUT (depth ${DEPTH}): durable HTTP ${putDurable.status}${put === putDurable ? '' : `, transient HTTP ${put.status}`}${crashedAtPut ? ' (CRASHED)' : ''}; then GET /api/queues ${before.getQueues}, GET the queue ${before.getQueue}, definitions ${before.getDefinitions}; AMQP passive declare: ${passive.ok ? 'ok' : passive.what}; restart: ${restart}${after ? `, then GET /api/queues ${after.getQueues}` : ''}`;
    const broken = before.getQueues >= 500 || (after?.getQueues ?? 0) >= 500 || crashedAtPut || !restart.startsWith('starts');
    return {
      figure,
      verdict: crashedAtPut ? 'CRASHED' : broken ? 'survived, listing broken' : 'survived',
      details: { depth: DEPTH, putDurable: { status: putDurable.status, body: putDurable.body.slice(0, 300) }, put: { status: put.status, body: put.body.slice(0, 300) }, before, passive: passive.ok ? 'ok' : passive.what, restart, after },
    };
  },
};
