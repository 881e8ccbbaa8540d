/**
 * Probe 11: failed logins.
 *   - AMQP: failed logins per second one client process achieves (16 at a time, --rate-seconds long; 1 s against
 *     RabbitMQ), and the broker's log lines per failure (its stdout; RabbitMQ: its log files).
 *   - HTTP: the same with GET /api/whoami and a wrong password (keep-alive, 16 sockets).
 *   - Timing: median time to the refusal for a wrong password of an existing user (guest) against a user that does
 *     not exist, attempts alternating (1000 of each, at most 20 s; 200 against RabbitMQ), AMQP (start-ok -> refusal)
 *     and HTTP.
 *     "noise" is the same difference between the odd and even attempts of one group, for scale.
 */
import * as http from 'node:http';
import { AmqpClient } from './client';
import { median, r1, request } from './http';
import type { Probe, ProbeContext, ProbeOutcome } from './types';
import { Args, M, PROTOCOL_HEADER } from './wire';

/** Longest the timing pairs may take, in s. */
const TIMING_S = 20;

/** One failed AMQP login; resolves with ms from start-ok to the refusal, or a text when something else happened. */
async function amqpFail(ctx: ProbeContext, user: string): Promise<number | string> {
  let c: AmqpClient;
  try {
    c = await AmqpClient.open(ctx.target.host, ctx.target.amqpPort, 3000);
  } catch (e) {
    return (e as Error).message;
  }
  try {
    const start = c.waitMethod(0, M.ConnectionStart, 3000);
    c.write(PROTOCOL_HEADER);
    await start;
    const answer = c.waitMethod(0, M.ConnectionTune, 5000);
    const t0 = performance.now();
    c.send(
      0,
      M.ConnectionStartOk,
      new Args()
        .table({ product: 'leveret-probes', capabilities: { authentication_failure_close: true } })
        .shortstr('PLAIN')
        .longstr(Buffer.from(`\0${user}\0wrong-password`))
        .shortstr('en_US'),
    );
    try {
      await answer;
      return 'LOGGED IN';
    } catch (e) {
      const ms = performance.now() - t0;
      return c.closed?.code === 403 || c.closed?.scope === 'socket' ? ms : (e as Error).message;
    }
  } catch (e) {
    return (e as Error).message;
  } finally {
    c.destroy();
  }
}

async function rate(seconds: number, concurrency: number, attempt: () => Promise<boolean>): Promise<{ failures: number; other: number; perSecond: number }> {
  const end = performance.now() + seconds * 1000;
  let failures = 0;
  let other = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        if (await attempt()) failures++;
        else other++;
      }
    }),
  );
  return { failures, other, perSecond: Math.round(failures / ((performance.now() - t0) / 1000)) };
}

async function linesPer<T extends { failures: number }>(ctx: ProbeContext, f: () => Promise<T>): Promise<T & { logLinesPerFailure: number }> {
  const before = ctx.target.stdoutLines();
  const r = await f();
  // Loggers write asynchronously (RabbitMQ's above all): let the lines land.
  await new Promise((res) => setTimeout(res, ctx.target.kind === 'rabbitmq' ? 1500 : 300));
  const after = ctx.target.stdoutLines();
  return { ...r, logLinesPerFailure: before < 0 || after < 0 || r.failures === 0 ? -1 : r1((after - before) / r.failures, 2) };
}

function diffUs(a: number[], b: number[]): number {
  return Math.round((median(a) - median(b)) * 1000);
}

/** Median and quartiles in ms. */
function stats(xs: number[]): { median: number; p25: number; p75: number; n: number } {
  const s = [...xs].sort((a, b) => a - b);
  const q = (f: number): number => r1(s[Math.min(s.length - 1, Math.floor(f * s.length))] ?? NaN, 3);
  return { median: r1(median(xs), 3), p25: q(0.25), p75: q(0.75), n: xs.length };
}

export const loginsProbe: Probe = {
  id: 11,
  name: 'failed logins',
  rabbitmq: true,
  budgetS: 120,
  async run(ctx): Promise<ProbeOutcome> {
    const rabbit = ctx.target.kind === 'rabbitmq';
    const seconds = rabbit ? 1 : ctx.options.rateSeconds;
    const concurrency = 16;
    const base = ctx.target.httpBase;
    await request(base, 'GET', '/api/overview', { user: 'guest', password: 'guest' }); // build the API first
    const amqp = await linesPer(ctx, () => rate(seconds, concurrency, async () => typeof (await amqpFail(ctx, 'guest')) === 'number'));
    const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
    const httpRate = await linesPer(ctx, () =>
      rate(seconds, concurrency, async () => (await request(base, 'GET', '/api/whoami', { user: 'guest', password: 'wrong-password', agent })).status === 401),
    );
    agent.destroy();

    // Timing: alternate existing and missing users, sequentially.
    const n = Math.round((rabbit ? 200 : 1000) * Math.min(1, ctx.options.scale));
    const t = { amqpExisting: [] as number[], amqpMissing: [] as number[], httpExisting: [] as number[], httpMissing: [] as number[] };
    const one = new http.Agent({ keepAlive: true, maxSockets: 1 });
    // Bounded in time too: a broker that slows failed logins down must not make this take minutes.
    const until = performance.now() + TIMING_S * 1000;
    let pairs = 0;
    for (; pairs < n && performance.now() < until; pairs++) {
      for (const [user, key] of [['guest', 'Existing'], ['no-such-user-p11', 'Missing']] as const) {
        const a = await amqpFail(ctx, user);
        if (typeof a === 'number') t[`amqp${key}`].push(a);
        const h = await request(base, 'GET', '/api/whoami', { user, password: 'wrong-password', agent: one });
        if (h.status === 401) t[`http${key}`].push(h.ms);
      }
    }
    one.destroy();
    const timing = {
      amqpExistingMs: stats(t.amqpExisting),
      amqpMissingMs: stats(t.amqpMissing),
      httpExistingMs: stats(t.httpExisting),
      httpMissingMs: stats(t.httpMissing),
      amqpDiffUs: diffUs(t.amqpExisting, t.amqpMissing),
      httpDiffUs: diffUs(t.httpExisting, t.httpMissing),
      // The same difference between two halves of one group (odd and even attempts): what noise alone gives.
      amqpNoiseUs: diffUs(t.amqpExisting.filter((_, i) => i % 2 === 0), t.amqpExisting.filter((_, i) => i % 2 === 1)),
      httpNoiseUs: diffUs(t.httpExisting.filter((_, i) => i % 2 === 0), t.httpExisting.filter((_, i) => i % 2 === 1)),
    };
    const figure =
      `AMQP ${amqp.perSecond}/s failed logins, ${amqp.logLinesPerFailure} log lines each; HTTP ${httpRate.perSecond}/s, ${httpRate.logLinesPerFailure} lines each; ` +
      `median refusal AMQP ${timing.amqpExistingMs.median} ms, HTTP ${timing.httpExistingMs.median} ms; existing-user minus missing-user median: AMQP ${timing.amqpDiffUs} us (noise ${timing.amqpNoiseUs}), HTTP ${timing.httpDiffUs} us (noise ${timing.httpNoiseUs}) (${concurrency} at a time for ${seconds} s; ${pairs} timed pairs)`;
    return { figure, details: { seconds, concurrency, amqp, http: httpRate, timedPairs: pairs, timing } };
  },
};
