/**
 * One leveret-perf run: opens the consumers first (so that they see the first message), then the producers, prints
 * a line per second and a summary, and stops at -z seconds, when the message counts are reached, or on stop().
 */
import { forClient, parseUri, type PerfOptions } from './args';
import { PerfClient } from './client';
import { Consumer } from './consumer';
import { Histogram } from './histogram';
import { Producer, declareTopology } from './producer';

export interface Rates {
  sent: number;
  confirmed: number;
  nacked: number;
  returned: number;
  received: number;
}

export interface LatencyMs {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface Summary {
  seconds: number;
  /** Totals over the run. */
  totals: Rates;
  /** Totals divided by seconds. */
  rates: Rates;
  /** End-to-end, from the send time in the body. */
  latency: LatencyMs;
  /** Publish -> confirm (basic.ack or nack), with -c only. */
  confirmLatency?: LatencyMs;
  /** First connection error, if any. */
  error?: string;
}

export interface RunHandle {
  /** Resolves with the summary once every connection is closed. */
  done: Promise<Summary>;
  /** Ends the run early (SIGINT). */
  stop(): void;
}

function latencyOf(h: Histogram): LatencyMs {
  const ms = (us: number): number => Math.round(us) / 1000;
  return { p50: ms(h.quantile(0.5)), p95: ms(h.quantile(0.95)), p99: ms(h.quantile(0.99)), max: ms(h.max) };
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

const quantiles = (l: LatencyMs): string => `${l.p50}/${l.p95}/${l.p99}/${l.max} ms`;

export function formatInterval(t: number, r: Rates, l: LatencyMs, json: boolean, confirm?: LatencyMs): string {
  if (json) return JSON.stringify({ type: 'interval', time: t, ...r, latencyMs: l, ...(confirm ? { confirmLatencyMs: confirm } : {}) });
  return (
    `time ${t.toFixed(1)}s, sent ${fmt(r.sent)} msg/s, confirmed ${fmt(r.confirmed)} msg/s, nacked ${fmt(r.nacked)}, ` +
    `returned ${fmt(r.returned)}, received ${fmt(r.received)} msg/s, latency p50/p95/p99/max ${quantiles(l)}` +
    (confirm ? `, confirm p50/p95/p99/max ${quantiles(confirm)}` : '')
  );
}

export function formatSummary(s: Summary, json: boolean): string {
  if (json) return JSON.stringify({ type: 'summary', ...s });
  const t = s.totals;
  const r = s.rates;
  const l = s.latency;
  return (
    `summary: ${s.seconds.toFixed(1)}s, sent ${fmt(t.sent)} (${fmt(r.sent)} msg/s), confirmed ${fmt(t.confirmed)} ` +
    `(${fmt(r.confirmed)} msg/s), nacked ${fmt(t.nacked)}, returned ${fmt(t.returned)}, received ${fmt(t.received)} ` +
    `(${fmt(r.received)} msg/s), latency p50/p95/p99/max ${quantiles(l)}` +
    (s.confirmLatency ? `, confirm p50/p95/p99/max ${quantiles(s.confirmLatency)}` : '') +
    (s.error !== undefined ? `, error: ${s.error}` : '')
  );
}

export function runPerf(o: PerfOptions, print: (line: string) => void): RunHandle {
  let stopRequested: (() => void) | null = null;
  let stopEarly = false;
  const done = (async (): Promise<Summary> => {
    const uri = parseUri(o.uri);
    const interval = new Histogram();
    const total = new Histogram();
    const confirmInterval = new Histogram();
    const confirmTotal = new Histogram();
    const confirms = o.confirm > 0 && o.producers > 0;
    const clients: PerfClient[] = [];
    const producers: Producer[] = [];
    const consumers: Consumer[] = [];
    let firstError: Error | null = null;
    let finish: () => void = () => {};
    let ended = false;
    const finished = new Promise<void>((resolve) => {
      finish = () => {
        ended = true;
        resolve();
      };
    });
    stopRequested = finish;
    if (stopEarly) finish();
    const onError = (err: Error): void => {
      if (firstError === null) firstError = err;
      finish();
    };
    const check = (): void => {
      if (ended || (o.producerCount === 0 && o.consumerCount === 0)) return; // -z or stop() only
      // Unbounded producers do not hold up a run bounded by -D (and the other way round).
      const producersDone = o.producerCount === 0 || producers.every((p) => p.done);
      let consumersDone = o.consumerCount === 0 || consumers.every((c) => c.done);
      if (o.consumerCount === 0 && o.producerCount > 0 && consumers.length > 0) {
        // -C without -D: done when the consumers have received everything the producers sent.
        consumersDone = consumers.reduce((a, c) => a + c.received, 0) >= o.producers * o.producerCount;
        if (producersDone && !consumersDone) setTimeout(check, 10).unref(); // the rest is on its way
      }
      if (producersDone && consumersDone) finish();
    };
    const open = async (name: string): Promise<PerfClient> => {
      const c = await PerfClient.open(uri, name);
      c.onError = onError;
      clients.push(c);
      return c;
    };
    let started = 0;
    let timer: NodeJS.Timeout | null = null;
    try {
      for (let i = 0; i < o.consumers; i++) {
        const co = forClient(o, i);
        const c = new Consumer(await open(`leveret-perf consumer ${i + 1}`), co, interval, `leveret-perf-${process.pid}-${i + 1}`);
        await c.setUp(async (client) => {
          if (!o.predeclared) await declareTopology(client, o);
        });
        c.onDone = check;
        consumers.push(c);
      }
      for (let i = 0; i < o.producers; i++) {
        const p = new Producer(await open(`leveret-perf producer ${i + 1}`), forClient(o, i), confirmInterval);
        await p.setUp();
        p.onDone = check;
        producers.push(p);
      }
      started = performance.now();
      let last = started;
      let lastTotals = sum(producers, consumers);
      timer = setInterval(() => {
        const now = performance.now();
        const t = sum(producers, consumers);
        const dt = (now - last) / 1000;
        const cl = confirms ? latencyOf(confirmInterval) : undefined;
        print(formatInterval((now - started) / 1000, perSecond(diff(t, lastTotals), dt), latencyOf(interval), o.json, cl));
        total.add(interval);
        interval.reset();
        confirmTotal.add(confirmInterval);
        confirmInterval.reset();
        last = now;
        lastTotals = t;
        if (o.consumerCount === 0 && o.producerCount > 0) check();
      }, 1000);
      if (o.time > 0) setTimeout(finish, o.time * 1000).unref();
      for (const p of producers) p.start();
      check();
      await finished;
    } catch (err) {
      if (firstError === null) firstError = err as Error;
    } finally {
      if (timer !== null) clearInterval(timer);
      for (const p of producers) p.stop();
    }
    const seconds = started === 0 ? 0 : (performance.now() - started) / 1000;
    total.add(interval);
    confirmTotal.add(confirmInterval);
    const totals = sum(producers, consumers);
    await Promise.all(clients.map((c) => c.close()));
    const summary: Summary = {
      seconds,
      totals,
      rates: perSecond(totals, seconds > 0 ? seconds : 1),
      latency: latencyOf(total),
    };
    if (confirms) summary.confirmLatency = latencyOf(confirmTotal);
    const err = firstError as Error | null;
    if (err !== null) summary.error = err.message;
    print(formatSummary(summary, o.json));
    return summary;
  })();
  return {
    done,
    stop(): void {
      stopEarly = true;
      if (stopRequested !== null) stopRequested();
    },
  };
}

function sum(producers: Producer[], consumers: Consumer[]): Rates {
  const r: Rates = { sent: 0, confirmed: 0, nacked: 0, returned: 0, received: 0 };
  for (const p of producers) {
    r.sent += p.sent;
    r.confirmed += p.confirmed;
    r.nacked += p.nacked;
    r.returned += p.returned;
  }
  for (const c of consumers) r.received += c.received;
  return r;
}

function diff(a: Rates, b: Rates): Rates {
  return {
    sent: a.sent - b.sent,
    confirmed: a.confirmed - b.confirmed,
    nacked: a.nacked - b.nacked,
    returned: a.returned - b.returned,
    received: a.received - b.received,
  };
}

function perSecond(r: Rates, seconds: number): Rates {
  const f = (n: number): number => Math.round(n / seconds);
  return { sent: f(r.sent), confirmed: f(r.confirmed), nacked: f(r.nacked), returned: f(r.returned), received: f(r.received) };
}
