import { startBroker, type RunningBroker } from '../broker';
import { parseArgs } from './args';
import { runPerf } from './run';

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
    const last = JSON.parse(lines[lines.length - 1]!) as { type: string; totals: { received: number } };
    expect(last.type).toBe('summary');
    expect(last.totals.received).toBe(10_000);
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

  test('a connection the broker refuses: the summary carries the error', async () => {
    const o = parseArgs(['--uri', `amqp://guest:wrong@127.0.0.1:${broker.port}`, '-x', '1', '-y', '0', '-z', '5']);
    const summary = await runPerf(o, () => {}).done;
    expect(summary.error).toMatch(/403|ACCESS_REFUSED|closed/);
  }, 30_000);
});
