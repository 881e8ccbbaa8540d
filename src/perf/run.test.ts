import { startBroker, type RunningBroker } from '../broker';
import { MethodId, decodeMethodArgs } from '../protocol';
import { parseArgs, parseUri } from './args';
import { PerfClient } from './client';
import { runPerf } from './run';

/** Messages ready in each queue (queue.declare passive), through a client of our own. */
async function depths(port: number, queues: string[]): Promise<number[]> {
  const c = await PerfClient.open(parseUri(`amqp://guest:guest@127.0.0.1:${port}`), 'depths');
  try {
    await c.call(1, MethodId.ChannelOpen, {}, MethodId.ChannelOpenOk);
    const out: number[] = [];
    for (const queue of queues) {
      const ok = await c.call(
        1,
        MethodId.QueueDeclare,
        { queue, passive: true, durable: false, exclusive: false, autoDelete: false, arguments: {} },
        MethodId.QueueDeclareOk,
      );
      out.push(decodeMethodArgs(MethodId.QueueDeclareOk, ok, 4, ok.length).messageCount);
    }
    return out;
  } finally {
    await c.close();
  }
}

describe('leveret-perf end to end against an in-process broker', () => {
  let broker: RunningBroker;
  beforeAll(async () => {
    broker = await startBroker({ port: 0, amqp: { bind: ['127.0.0.1'] }, http: { bind: ['127.0.0.1'], port: 0 }, logLevel: 'silent' });
  });
  afterAll(async () => {
    await broker.close();
  });

  test('2 producers x 5,000 with confirms (window 100), 2 manual-ack consumers (multi-ack 7, qos 50): all confirmed, all received', async () => {
    const lines: string[] = [];
    const o = parseArgs([
      '--uri', `amqp://guest:guest@127.0.0.1:${broker.port}`, '-x', '2', '-y', '2', '-C', '5000', '-c', '100',
      '-A', '7', '-q', '50', '-u', 'perf-e2e', '-z', '20', '--json',
    ]);
    const summary = await runPerf(o, (l) => lines.push(l)).done;
    expect(summary.error).toBeUndefined();
    expect(summary.totals).toEqual({ sent: 10_000, confirmed: 10_000, nacked: 0, returned: 0, received: 10_000 });
    expect(summary.latency.max).toBeGreaterThan(0);
    const c = summary.confirmLatency!;
    expect(c.p50).toBeGreaterThan(0);
    expect(c.p50).toBeLessThanOrEqual(c.p95);
    expect(c.p95).toBeLessThanOrEqual(c.p99);
    expect(c.p99).toBeLessThanOrEqual(c.max);
    expect(c.max).toBeLessThan(10_000); // ms: a window of 100 on a local broker
    const last = JSON.parse(lines[lines.length - 1]!) as { type: string; totals: { received: number }; confirmLatency: unknown };
    expect(last.type).toBe('summary');
    expect(last.totals.received).toBe(10_000);
    expect(last.confirmLatency).toEqual(c);
  }, 30_000);

  test('through a declared topic exchange with auto-ack and -D: stops when the consumer has its count', async () => {
    const lines: string[] = [];
    const o = parseArgs([
      '--uri', `amqp://guest:guest@127.0.0.1:${broker.port}`, '-x', '1', '-y', '1', '-e', 'perf-ex', '-t', 'topic',
      '-k', 'a.b', '-u', 'perf-e2e-topic', '-a', '-D', '3000', '-r', '20000', '-z', '20',
    ]);
    const summary = await runPerf(o, (l) => lines.push(l)).done;
    expect(summary.error).toBeUndefined();
    expect(summary.totals.received).toBe(3000);
    expect(summary.totals.sent).toBeGreaterThanOrEqual(3000);
    expect(lines[lines.length - 1]).toMatch(/^summary: .*received 3,000 /);
  }, 30_000);

  test('--queue-pattern: producers round-robin over the queues (2 producers, 3 queues), then -p consumers over all three', async () => {
    const uri = `amqp://guest:guest@127.0.0.1:${broker.port}`;
    const pattern = ['--queue-pattern', 'perf-rr-%d', '--queue-pattern-from', '1', '--queue-pattern-to', '3'];
    const pub = await runPerf(parseArgs(['--uri', uri, ...pattern, '-x', '2', '-y', '0', '-C', '700', '-z', '20']), () => {}).done;
    expect(pub.error).toBeUndefined();
    expect(pub.totals.sent).toBe(1400);
    expect(await depths(broker.port, ['perf-rr-1', 'perf-rr-2', 'perf-rr-3'])).toEqual([700, 700, 0]);
    const con = await runPerf(parseArgs(['--uri', uri, ...pattern, '-p', '-x', '0', '-y', '3', '-a', '-z', '1']), () => {}).done;
    expect(con.error).toBeUndefined();
    expect(con.totals.received).toBe(1400);
    expect(await depths(broker.port, ['perf-rr-1', 'perf-rr-2', 'perf-rr-3'])).toEqual([0, 0, 0]);
  }, 30_000);

  test('--queue-pattern through a fanout exchange: every queue gets every message', async () => {
    const uri = `amqp://guest:guest@127.0.0.1:${broker.port}`;
    const o = parseArgs([
      '--uri', uri, '--queue-pattern', 'perf-fan-%d', '--queue-pattern-to', '4', '-e', 'perf-fan', '-t', 'fanout',
      '-x', '1', '-y', '0', '-C', '500', '-c', '50', '-z', '20',
    ]);
    const s = await runPerf(o, () => {}).done;
    expect(s.totals.confirmed).toBe(500);
    expect(await depths(broker.port, ['perf-fan-1', 'perf-fan-2', 'perf-fan-3', 'perf-fan-4'])).toEqual([500, 500, 500, 500]);
  }, 30_000);

  test('-p declares nothing: a queue that does not exist fails the run with NOT_FOUND', async () => {
    const o = parseArgs(['--uri', `amqp://guest:guest@127.0.0.1:${broker.port}`, '-p', '-u', 'perf-missing', '-x', '0', '-y', '1', '-z', '5']);
    const summary = await runPerf(o, () => {}).done;
    expect(summary.error).toMatch(/404 NOT_FOUND/);
  }, 30_000);

  test('a connection the broker refuses: the summary carries the error', async () => {
    const o = parseArgs(['--uri', `amqp://guest:wrong@127.0.0.1:${broker.port}`, '-x', '1', '-y', '0', '-z', '5']);
    const summary = await runPerf(o, () => {}).done;
    expect(summary.error).toMatch(/403|ACCESS_REFUSED|closed/);
  }, 30_000);
});
