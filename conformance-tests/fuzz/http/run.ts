/**
 * One management API fuzz run: start Leveret as a child process on a temp data directory (or aim at --url), set up
 * the fuzzer's own vhost, user, queue and exchange, then send hostile requests (generate.ts) over every route with
 * valid Basic auth, a few at a time. Every answer must be 1xx-4xx, never 5xx (503 only from a health check that
 * reports a failure, as RabbitMQ's do); a 4xx must carry RabbitMQ's error body {"error": ..., "reason": ...}; no
 * request may go unanswered; /assets never serves a file outside its directory; and the broker must stay up, under
 * its RSS bound, answering GET /api/overview and AMQP connections. A failure is kept with a reproducer (the request
 * as a curl command, its body in a file) in <out>/http-failures-seed<S>.json.
 */
import * as http from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerProcess } from '../broker-process';
import { checkAmqp } from '../liveness';
import { buildRequest, type HttpRequestSpec } from './generate';
import { managementRoutes } from './routes';

export interface HttpFuzzOptions {
  requests: number;
  seed: number;
  concurrency: number;
  durationMs: number;
  /** A running broker's management API (http://user:pass@host:port); no child broker then. */
  url: string | undefined;
  amqpUrl: string | undefined;
  maxRssMb: number;
  outDir: string;
  progress: boolean;
}

export interface HttpFailure {
  kind: string;
  request: { index: number; method: string; path: string; headers: Record<string, string>; bodyBase64: string | undefined; label: string };
  status: number | undefined;
  response: string;
  curl: string;
}

export interface HttpFuzzReport {
  seed: number;
  requests: number;
  durationMs: number;
  routes: number;
  byStatus: Map<number, number>;
  /** Answers by the HTTP layer before any route (node's parser: 400/413/414/431 with no body). */
  httpLayer: number;
  /** Bodies over the limit whose connection the server reset while they were sent (its 413 came first). */
  oversizeResets: number;
  streaming: number;
  failures: HttpFailure[];
  failureKinds: Map<string, number>;
  crashed: string | undefined;
  peakRssMb: number | undefined;
  liveness: string;
  brokerErrors: string[];
  verdict: string[];
}

const TIMEOUT_MS = 15_000;
/** The API's default body limit (management.http.max_body_size, app.ts). */
const BODY_LIMIT = 20 * 1024 * 1024;
const MAX_BODY_READ = 256 * 1024;
/** Streaming answers (live tails) are read this long, then dropped. */
const STREAM_MS = 300;
const RESETUP_EVERY = 1000;
const LIVENESS_EVERY_MS = 5000;

const quieted = new WeakSet<object>();

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function send(base: URL, spec: Pick<HttpRequestSpec, 'method' | 'path' | 'headers' | 'body'>, agent: http.Agent): Promise<Answer | string> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: Answer | string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(r);
    };
    let req: http.ClientRequest;
    try {
      // node sends a GET, HEAD or DELETE body with neither Content-Length nor chunking unless told its length: the
      // server would read it as the next request.
      const headers = spec.body !== undefined ? { ...spec.headers, 'content-length': String(spec.body.length) } : spec.headers;
      req = http.request({ host: base.hostname, port: base.port, method: spec.method, path: spec.path, headers, agent });
    } catch (err) {
      resolve(`client refused to send: ${(err as Error).message}`);
      return;
    }
    const timer = setTimeout(() => {
      req.destroy();
      finish(`no answer within ${TIMEOUT_MS / 1000} s`);
    }, TIMEOUT_MS);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const streaming = /event-stream|ndjson/.test(String(res.headers['content-type'] ?? ''));
      const stop = streaming ? setTimeout(() => res.destroy(), STREAM_MS) : undefined;
      res.on('data', (c: Buffer) => {
        if (size < MAX_BODY_READ) chunks.push(c);
        size += c.length;
      });
      const end = (): void => {
        if (stop !== undefined) clearTimeout(stop);
        finish({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      };
      res.on('end', end);
      res.on('close', end);
      res.on('error', end);
    });
    req.on('error', (err: NodeJS.ErrnoException) => finish(`request error: ${err.code ?? err.message}`));
    // A reset after the answer was read is reported on the socket, with no request left to hear it.
    req.on('socket', (sock) => {
      if (!quieted.has(sock)) {
        quieted.add(sock);
        sock.on('error', () => undefined);
      }
    });
    if (spec.body !== undefined) req.end(spec.body);
    else req.end();
  });
}

function curl(base: URL, r: HttpRequestSpec, bodyFile: string | undefined): string {
  const h = Object.entries(r.headers)
    .map(([k, v]) => `-H ${JSON.stringify(`${k}: ${v}`)}`)
    .join(' ');
  const data = bodyFile !== undefined ? ` --data-binary @${bodyFile}` : '';
  return `curl -sS -i --path-as-is -X ${r.method} ${h}${data} ${JSON.stringify(`${base.protocol}//${base.host}${r.path}`)}`;
}

/** What is wrong with an answer, or undefined when it is right. */
function judge(r: HttpRequestSpec, a: Answer): string | undefined {
  const s = a.status;
  const text = a.body.toString('utf8');
  if (s >= 500) {
    // A health check that fails is a 503 with RabbitMQ's {status: failed, reason} (no body to a HEAD).
    if (s === 503 && r.route.startsWith('/api/health/checks/') && (r.method === 'HEAD' || /"status"\s*:\s*"failed"/.test(text))) return undefined;
    return `server-error ${s}`;
  }
  if (/^\/assets\//.test(r.route) && s === 200 && /\.\.|%2e/i.test(r.path)) return 'assets path traversal served a file';
  if (s >= 400 && r.method !== 'HEAD') {
    let body: unknown;
    // An answer longer than what was read (a reason echoing a huge value) is judged by its start.
    if (a.body.length >= MAX_BODY_READ) return /^\{"error":"[a-z_ A-Z]+","reason":/.test(text) ? undefined : `${s} without RabbitMQ's {error, reason} body`;
    try {
      body = JSON.parse(text);
    } catch {
      return `${s} without a JSON error body`;
    }
    // RabbitMQ renders a reason that is an Erlang tuple as a list (rabbit_mgmt_format:tuple): ["no_such_user","u"].
    const b = body as { error?: unknown; reason?: unknown };
    if (typeof b !== 'object' || b === null || typeof b.error !== 'string' || (typeof b.reason !== 'string' && !Array.isArray(b.reason))) return `${s} without RabbitMQ's {error, reason} body`;
  }
  return undefined;
}

/** node's --max-http-header-size default: request line and headers together. */
const MAX_HEADER_BYTES = 16 * 1024;

function headerBytes(r: HttpRequestSpec): number {
  return r.method.length + r.path.length + 12 + Object.entries(r.headers).reduce((n, [k, v]) => n + k.length + v.length + 4, 0);
}

/** node's HTTP server answers some malformed requests itself, before any route: no body, connection closed. */
function httpLayer(a: Answer): boolean {
  return [400, 413, 414, 431].includes(a.status) && a.body.length === 0 && a.headers['content-type'] === undefined;
}

/**
 * The fuzzer's own objects, made again. On a child broker the janitor first deletes every vhost but '/' (with what
 * the requests created in them, up to 10,000 queues per definitions upload) and every fz-* user, as an operator
 * would, so that the RSS bound measures memory the broker fails to give back rather than state it was asked to keep.
 */
async function setup(base: URL, auth: string, user: string, agent: http.Agent, janitor: boolean): Promise<void> {
  const json = { authorization: auth, 'content-type': 'application/json' };
  if (janitor) {
    for (const [list, path] of [['/api/vhosts', '/api/vhosts/'], ['/api/users', '/api/users/']] as const) {
      const a = await send(base, { method: 'GET', path: list, headers: { authorization: auth }, body: undefined }, agent);
      if (typeof a === 'string' || a.status !== 200) continue;
      let names: string[];
      try {
        names = (JSON.parse(a.body.toString('utf8')) as Array<{ name: string }>).map((x) => x.name);
      } catch {
        continue;
      }
      for (const name of names) {
        if (list === '/api/vhosts' ? name === '/' : !name.startsWith('fz-')) continue;
        await send(base, { method: 'DELETE', path: `${path}${encodeURIComponent(name)}`, headers: { authorization: auth }, body: undefined }, agent);
      }
    }
  }
  const steps: Array<[string, string, unknown]> = [
    ['PUT', '/api/vhosts/fz', {}],
    ['PUT', `/api/permissions/fz/${encodeURIComponent(user)}`, { configure: '.*', write: '.*', read: '.*' }],
    ['PUT', '/api/users/fz-user', { password: 'pw', tags: '' }],
    ['PUT', '/api/queues/fz/fz.q', { durable: false }],
    ['PUT', '/api/exchanges/fz/fz.x', { type: 'topic' }],
    ['POST', '/api/bindings/fz/e/fz.x/q/fz.q', { routing_key: 'k' }],
  ];
  for (const [method, path, body] of steps) await send(base, { method, path, headers: json, body: Buffer.from(JSON.stringify(body)) }, agent);
}

export async function runHttpFuzz(o: HttpFuzzOptions, log: (line: string) => void): Promise<HttpFuzzReport> {
  mkdirSync(o.outDir, { recursive: true });
  const started = Date.now();
  const routes = managementRoutes();
  let broker: BrokerProcess | undefined;
  let dataDir: string | undefined;
  let base: URL;
  let amqpUrl: string | undefined = o.amqpUrl;
  let user = 'guest';
  let pass = 'guest';
  if (o.url === undefined) {
    dataDir = mkdtempSync(join(tmpdir(), 'leveret-fuzz-http-'));
    broker = await BrokerProcess.start(dataDir, join(o.outDir, `broker-http-${o.seed}.log`));
    base = new URL(broker.httpUrl);
    amqpUrl = broker.url;
  } else {
    base = new URL(o.url);
    if (base.username !== '') {
      user = decodeURIComponent(base.username);
      pass = decodeURIComponent(base.password);
    }
  }
  const auth = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
  // A connection per request: the server closes one after some errors (413, a parse error), and a kept-alive socket
  // that is being closed would turn the next request into a reset that is not the broker's fault.
  const agent = new http.Agent({ keepAlive: false, maxSockets: o.concurrency });
  const byStatus = new Map<number, number>();
  const failureKinds = new Map<string, number>();
  const failures: HttpFailure[] = [];
  const verdict: string[] = [];
  let httpLayerCount = 0;
  let oversizeResets = 0;
  let streaming = 0;
  let sent = 0;
  let crashed: string | undefined;
  let liveness = 'not checked';
  const bodiesDir = join(o.outDir, `http-bodies-seed${o.seed}`);
  const fail = (kind: string, r: HttpRequestSpec, a: Answer | string): void => {
    failureKinds.set(kind, (failureKinds.get(kind) ?? 0) + 1);
    if (failures.length >= 200 || failures.filter((f) => f.kind === kind).length >= 5) return;
    let bodyFile: string | undefined;
    if (r.body !== undefined && r.body.length > 0) {
      mkdirSync(bodiesDir, { recursive: true });
      bodyFile = join(bodiesDir, `request-${r.index}.body`);
      writeFileSync(bodyFile, r.body);
    }
    const response = typeof a === 'string' ? a : `${a.status} ${a.body.toString('utf8').slice(0, 500)}`;
    failures.push({
      kind,
      request: { index: r.index, method: r.method, path: r.path.slice(0, 2000), headers: r.headers, bodyBase64: r.body !== undefined && r.body.length <= 4096 ? r.body.toString('base64') : undefined, label: r.label },
      status: typeof a === 'string' ? undefined : a.status,
      response,
      curl: curl(base, r, bodyFile),
    });
    log(`FAIL ${kind}: request #${r.index} ${r.label}\n  ${curl(base, r, bodyFile).slice(0, 600)}\n  -> ${response.slice(0, 300)}`);
  };
  try {
    await setup(base, auth, user, agent, broker !== undefined);
    const deadline = started + o.durationMs;
    let lastProgress = Date.now();
    let lastLiveness = Date.now();
    const running = new Set<Promise<void>>();
    const one = async (i: number): Promise<void> => {
      const r = buildRequest(o.seed, i, routes, auth);
      const a = await send(base, r, agent);
      if (typeof a === 'string') {
        // The client itself refused (a header it will not send): not the broker's doing.
        if (a.startsWith('client refused')) return;
        if (broker !== undefined && !broker.running) return;
        // A body over the limit may be cut short by the server's early 413 (it stops reading): a reset is its answer.
        if (r.body !== undefined && r.body.length > BODY_LIMIT && !a.startsWith('no answer')) {
          oversizeResets++;
          return;
        }
        // So may a request line and headers over node's 16 KiB (its parser answers 431 and closes).
        if (headerBytes(r) > MAX_HEADER_BYTES && !a.startsWith('no answer')) {
          httpLayerCount++;
          return;
        }
        fail(a.startsWith('no answer') ? 'no answer' : 'connection error', r, a);
        return;
      }
      byStatus.set(a.status, (byStatus.get(a.status) ?? 0) + 1);
      if (/event-stream|ndjson/.test(String(a.headers['content-type'] ?? ''))) streaming++;
      if (httpLayer(a)) {
        httpLayerCount++;
        return;
      }
      const wrong = judge(r, a);
      if (wrong !== undefined) fail(wrong, r, a);
    };
    for (let i = 0; i < o.requests; i++) {
      if (Date.now() > deadline) {
        verdict.push(`duration cap reached after ${sent} of ${o.requests} requests`);
        break;
      }
      if (broker !== undefined && !broker.running) break;
      if (broker !== undefined && broker.lastRssBytes > o.maxRssMb * 2 ** 20) {
        crashed = `RSS ${(broker.lastRssBytes / 2 ** 20).toFixed(0)} MiB, over the ${o.maxRssMb} MiB bound`;
        break;
      }
      while (running.size >= o.concurrency) await Promise.race(running);
      if (i > 0 && i % RESETUP_EVERY === 0) {
        await Promise.all(running);
        await setup(base, auth, user, agent, broker !== undefined);
      }
      if (Date.now() - lastLiveness > LIVENESS_EVERY_MS) {
        lastLiveness = Date.now();
        const a = await send(base, { method: 'GET', path: '/api/overview', headers: { authorization: auth }, body: undefined }, agent);
        if (typeof a === 'string' || a.status !== 200) fail('GET /api/overview failed during the run', { index: -1, method: 'GET', path: '/api/overview', headers: { authorization: auth }, body: undefined, label: 'liveness', route: '/api/overview' }, a);
      }
      const p: Promise<void> = one(i).then(() => {
        running.delete(p);
      });
      running.add(p);
      sent++;
      if (o.progress && Date.now() - lastProgress > 5000) {
        lastProgress = Date.now();
        const rss = broker !== undefined ? ` rss ${(broker.lastRssBytes / 2 ** 20).toFixed(0)} MiB` : '';
        log(`[${((Date.now() - started) / 1000).toFixed(0)}s] ${sent}/${o.requests} requests, ${failures.length} failures${rss}`);
      }
    }
    await Promise.all(running);
    if (broker !== undefined && !broker.running) crashed = `broker exited with ${broker.exitCode}${broker.exitSignal !== undefined ? ` ${broker.exitSignal}` : ''}:\n${broker.lastLines(30).join('\n')}`;
    if (crashed === undefined) {
      const a = await send(base, { method: 'GET', path: '/api/overview', headers: { authorization: auth }, body: undefined }, agent);
      const amqp = amqpUrl !== undefined ? await checkAmqp(amqpUrl) : 'skipped';
      liveness = `GET /api/overview ${typeof a === 'string' ? a : a.status}; amqp ${amqp}`;
      if (typeof a === 'string' || a.status !== 200 || (amqp !== 'ok' && amqp !== 'skipped')) verdict.push(`liveness: ${liveness}`);
    }
  } finally {
    agent.destroy();
    if (broker?.running === true) {
      const r = await broker.stop(10_000);
      if (!r.graceful) verdict.push('broker did not exit within 10 s of SIGTERM');
    }
    broker?.kill();
  }
  if (crashed !== undefined) verdict.push(`broker down: ${crashed.split('\n')[0]}`);
  for (const [k, v] of failureKinds) verdict.push(`${v} x ${k}`);
  const peakRssMb = broker !== undefined ? broker.peakRssBytes / 2 ** 20 : undefined;
  if (peakRssMb !== undefined && peakRssMb > o.maxRssMb) verdict.push(`broker RSS peaked at ${peakRssMb.toFixed(0)} MiB, above ${o.maxRssMb} MiB`);
  const brokerErrors = broker !== undefined ? broker.errors.slice(0, 20).map((e) => `${String(e.msg)}: ${e.err?.stack?.split('\n').slice(0, 4).join(' < ') ?? ''}`) : [];
  const report: HttpFuzzReport = { seed: o.seed, requests: sent, durationMs: Date.now() - started, routes: routes.length, byStatus, httpLayer: httpLayerCount, oversizeResets, streaming, failures, failureKinds, crashed, peakRssMb, liveness, brokerErrors, verdict };
  if (failures.length > 0 || crashed !== undefined) writeFileSync(join(o.outDir, `http-failures-seed${o.seed}.json`), JSON.stringify({ ...report, byStatus: Object.fromEntries(byStatus), failureKinds: Object.fromEntries(failureKinds) }, null, 1));
  if (verdict.every((v) => v.startsWith('duration cap')) && dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  return report;
}

export function formatHttpReport(r: HttpFuzzReport): string {
  const lines: string[] = [];
  const secs = Math.max(0.001, r.durationMs / 1000);
  lines.push('', `== Leveret management API fuzz report: seed ${r.seed}, ${secs.toFixed(1)} s ==`);
  lines.push(`requests           ${r.requests.toLocaleString('en-US')} over ${r.routes} routes (${Math.round(r.requests / secs)} requests/s)`);
  lines.push(`answers by status  ${[...r.byStatus.entries()].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}: ${n}`).join(', ')}`);
  lines.push(`http layer         ${r.httpLayer} malformed requests answered by node's HTTP parser before any route (no body); ${r.streaming} streaming answers; ${r.oversizeResets} bodies over the body limit cut off by the server`);
  lines.push(`peak broker RSS    ${r.peakRssMb !== undefined ? `${r.peakRssMb.toFixed(0)} MiB` : 'n/a (external broker)'}`);
  lines.push(`liveness           ${r.liveness}`);
  if (r.crashed !== undefined) lines.push(`BROKER DOWN        ${r.crashed}`);
  for (const f of r.failures.slice(0, 20)) lines.push(`FAIL ${f.kind}: ${f.request.label}`, `  ${f.curl.slice(0, 500)}`, `  -> ${f.response.slice(0, 300)}`);
  for (const e of r.brokerErrors.slice(0, 10)) lines.push(`broker error: ${e.slice(0, 400)}`);
  const failed = r.verdict.filter((v) => !v.startsWith('duration cap'));
  lines.push(failed.length === 0 ? `RESULT: PASS (no 5xx, every 4xx with RabbitMQ's error body, broker alive)${r.verdict.length > 0 ? ` (${r.verdict.join('; ')})` : ''}` : `RESULT: FAIL\n  - ${failed.join('\n  - ')}`);
  return lines.join('\n');
}
