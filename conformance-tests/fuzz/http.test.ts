/**
 * The management API fuzzer's short form for CI (issue 16): hostile requests over every route of the API against a
 * child broker, with valid Basic auth. No answer may be a 5xx (a failing health check's 503 aside), every 4xx must
 * carry RabbitMQ's {"error", "reason"} body, every request gets an answer, and the broker must stay up (GET
 * /api/overview and an AMQP connection at the end). `npm run fuzz:http -- --requests N` is the long form.
 *
 * The seed is fixed so that CI is repeatable; FUZZ_HTTP_SEED and FUZZ_HTTP_REQUESTS change it. On failure the report,
 * with a curl reproducer per failure, is printed.
 */
import { join } from 'node:path';
import { REPO_ROOT } from './options';
import { managementRoutes } from './http/routes';
import { formatHttpReport, runHttpFuzz } from './http/run';

const SEED = Number(process.env.FUZZ_HTTP_SEED ?? 16);
const REQUESTS = Number(process.env.FUZZ_HTTP_REQUESTS ?? 1500);

test('the route list read from src/management covers the API (every family, the templated paths expanded)', () => {
  const paths = managementRoutes().map((r) => r.path);
  expect(paths.length).toBeGreaterThan(90);
  expect(paths).toEqual(expect.arrayContaining([
    '/api/overview',
    '/api/queues/:vhost/:name',
    '/api/exchanges/:vhost/:name/bindings/source',
    '/api/exchanges/:vhost/:name/bindings/destination',
    '/api/policies/:vhost/:name',
    '/api/operator-policies/:vhost/:name',
    '/api/definitions',
    '/api/health/checks/alarms',
    '/api/leveret/session',
    '/metrics',
    '/assets/:file',
  ]));
});

test(`${REQUESTS} hostile management API requests (seed ${SEED}): no 5xx, RabbitMQ's error body on every 4xx, the broker alive`, async () => {
  const report = await runHttpFuzz(
    { requests: REQUESTS, seed: SEED, concurrency: 6, durationMs: 60_000, url: undefined, amqpUrl: undefined, maxRssMb: 1024, outDir: join(REPO_ROOT, '.tmp', 'fuzz'), progress: false },
    () => undefined,
  );
  const failed = report.verdict.filter((v) => !v.startsWith('duration cap'));
  if (failed.length > 0) process.stdout.write(`${formatHttpReport(report)}\n`);
  expect(failed).toEqual([]);
  expect(report.requests).toBeGreaterThan(REQUESTS / 2);
  // Not only refusals: some requests got through to the routes and changed things.
  expect([...report.byStatus.keys()].filter((s) => s < 300).length).toBeGreaterThan(0);
}, 120_000);
