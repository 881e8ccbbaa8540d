/**
 * Probe 10: how many connections until the broker runs out of file descriptors, and what then. The broker runs
 * with RLIMIT_NOFILE 1024 (prlimit) so this stays small; the issue saw the same at ~20k with the machine's limit.
 * AMQP connections (full handshake) are opened 20 at a time and held until 10 in a row fail (or 3,000 tries);
 * with all of them held, the probe asks the management API for /api/overview and tries one more AMQP connection;
 * then it closes everything and checks both again.
 */
import { AmqpClient } from './client';
import { sleep } from './common';
import { fdCount } from './http';
import type { Probe, ProbeContext, ProbeOutcome } from './types';

const NOFILE = 1024;
const MAX_TRIES = 3000;

async function tryConnect(ctx: ProbeContext, timeoutMs = 3000): Promise<AmqpClient | string> {
  try {
    return await AmqpClient.connect(ctx.target.host, ctx.target.amqpPort, { timeoutMs });
  } catch (e) {
    const m = (e as Error).message;
    return m.replace(/^connection closed by the server: /, 'connection.close ');
  }
}

async function httpCheck(ctx: ProbeContext): Promise<string> {
  const r = await ctx.api().get('/api/overview', { timeoutMs: 3000 });
  return r.status === 0 ? `no answer (${r.error ?? '?'})` : `HTTP ${r.status}`;
}

export const connectionsProbe: Probe = {
  id: 10,
  name: 'connections until fd exhaustion',
  rabbitmq: false,
  budgetS: 90,
  nofile: NOFILE,
  async run(ctx): Promise<ProbeOutcome> {
    await ctx.api().get('/api/overview'); // the API is built at its first request, as on a broker in use
    const pid = ctx.target.pid;
    const fds0 = pid === undefined ? -1 : fdCount(pid);
    const held: AmqpClient[] = [];
    const failures: string[] = [];
    let tries = 0;
    let failStreak = 0;
    const t0 = performance.now();
    while (tries < MAX_TRIES && failStreak < 10 && ctx.target.alive()) {
      const batch = await Promise.all(Array.from({ length: 20 }, () => tryConnect(ctx)));
      tries += batch.length;
      for (const r of batch) {
        if (typeof r === 'string') {
          failures.push(r);
          failStreak++;
        } else {
          held.push(r);
          failStreak = 0;
        }
      }
    }
    const openSeconds = (performance.now() - t0) / 1000;
    // Whatever the broker closed on its side does not count as held.
    await sleep(300);
    const stillOpen = held.filter((c) => !c.isClosed).length;
    const fdsFull = pid === undefined ? -1 : fdCount(pid);
    const httpWhileFull = await httpCheck(ctx);
    const extra = await tryConnect(ctx);
    const amqpWhileFull = typeof extra === 'string' ? extra : 'connected';
    if (typeof extra !== 'string') extra.destroy();
    for (const c of held) c.destroy();
    await sleep(1000);
    const httpAfter = await httpCheck(ctx);
    const again = await tryConnect(ctx);
    const amqpAfter = typeof again === 'string' ? again : 'connected';
    if (typeof again !== 'string') again.destroy();
    const firstFailure = failures[0] ?? 'none';
    const kinds = [...new Set(failures)].slice(0, 5);
    const figure = `${held.length} connections (${stillOpen} still open) before the first refusal (${firstFailure.slice(0, 50)}); at the limit: HTTP ${httpWhileFull}, new AMQP ${amqpWhileFull.slice(0, 50)}; after closing them: ${httpAfter}, AMQP ${amqpAfter.slice(0, 40)}`;
    return {
      figure,
      verdict: !ctx.target.alive() ? 'CRASHED' : httpWhileFull.startsWith('HTTP 2') ? 'survived; HTTP answers at the limit' : 'survived; HTTP dead at the limit',
      details: {
        nofile: NOFILE,
        tries,
        connectionsOpened: held.length,
        stillOpen,
        openSeconds: Math.round(openSeconds * 10) / 10,
        failures: failures.length,
        failureKinds: kinds,
        brokerFdsIdle: fds0,
        brokerFdsAtLimit: fdsFull,
        httpWhileFull,
        amqpWhileFull,
        httpAfter,
        amqpAfter,
      },
    };
  },
};
