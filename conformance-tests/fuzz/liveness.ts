/**
 * Is the broker still serving? A fresh AMQP connection that declares a queue (raw frames, so nothing hides a
 * protocol problem), and the management API: GET /api/overview must answer 200; the listings that render what the
 * attackers left behind (queues with odd arguments, connections with odd client properties) are checked too and
 * reported, since a 5xx there is a bug even if the process survives.
 */
import { randomBytes } from 'node:crypto';
import { MethodId, RawClient } from '../support/raw';

export interface Liveness {
  amqp: string;
  overview: string;
  /** Other management endpoints that did not answer 200: path -> status or error. */
  management: Record<string, string>;
  ok: boolean;
}

const TIMEOUT_MS = 10_000;
const LISTINGS = ['/api/queues', '/api/connections', '/api/channels', '/api/exchanges', '/api/bindings', '/api/consumers', '/api/nodes'];

export async function checkAmqp(url: string): Promise<string> {
  let c: RawClient | undefined;
  try {
    const u = new URL(url);
    c = await RawClient.connect(url, { user: decodeURIComponent(u.username || 'guest'), password: decodeURIComponent(u.password || 'guest'), timeoutMs: TIMEOUT_MS });
    await c.openChannel(1);
    const name = `fuzz.liveness.${randomBytes(4).toString('hex')}`;
    c.sendMethod(1, MethodId.QueueDeclare, { queue: name, durable: false, exclusive: true, autoDelete: true, arguments: {} });
    const ok = await c.expectMethod(MethodId.QueueDeclareOk, TIMEOUT_MS);
    if (ok['queue'] !== name) return `declare-ok named ${String(ok['queue'])}`;
    await c.close();
    return 'ok';
  } catch (err) {
    c?.destroy();
    return `failed: ${(err as Error).message}`;
  }
}

function authHeader(url: string): string {
  const u = new URL(url);
  const user = decodeURIComponent(u.username || 'guest');
  const pass = decodeURIComponent(u.password || 'guest');
  return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
}

export async function httpGet(httpUrl: string, path: string, amqpUrl: string): Promise<string> {
  try {
    const res = await fetch(`${httpUrl}${path}`, { headers: { authorization: authHeader(amqpUrl) }, signal: AbortSignal.timeout(TIMEOUT_MS) });
    const text = await res.text();
    if (res.status !== 200) return `HTTP ${res.status}: ${text.slice(0, 300)}`;
    JSON.parse(text);
    return 'ok';
  } catch (err) {
    return `failed: ${(err as Error).message}`;
  }
}

export async function checkLiveness(amqpUrl: string, httpUrl: string | undefined): Promise<Liveness> {
  const amqpResult = await checkAmqp(amqpUrl);
  let overview = 'skipped (no management URL)';
  const management: Record<string, string> = {};
  if (httpUrl !== undefined && httpUrl !== '') {
    overview = await httpGet(httpUrl, '/api/overview', amqpUrl);
    for (const path of LISTINGS) {
      const r = await httpGet(httpUrl, path, amqpUrl);
      if (r !== 'ok') management[path] = r;
    }
  }
  return { amqp: amqpResult, overview, management, ok: amqpResult === 'ok' && (overview === 'ok' || overview.startsWith('skipped')) };
}

export interface PollStats {
  polls: number;
  failures: number;
  samples: string[];
}

/**
 * Polls management listings during the attack, one request at a time: rendering what the attackers leave behind
 * (odd queue arguments, hostile client properties) must not fail. `target` returns undefined while the broker is
 * down on purpose or crashed.
 */
export class ManagementPoller {
  private readonly timer: NodeJS.Timeout;
  private busy = false;
  private i = 0;

  constructor(
    target: () => { httpUrl: string | undefined; amqpUrl: string } | undefined,
    stats: PollStats,
    everyMs = 2000,
  ) {
    const paths = ['/api/queues', '/api/connections', '/api/overview', '/api/channels', '/api/exchanges'];
    this.timer = setInterval(() => {
      const t = target();
      if (this.busy || t === undefined || t.httpUrl === undefined || t.httpUrl === '') return;
      this.busy = true;
      const path = paths[this.i++ % paths.length]!;
      void httpGet(t.httpUrl, path, t.amqpUrl)
        .then((r) => {
          stats.polls++;
          if (r !== 'ok' && target() !== undefined) {
            stats.failures++;
            if (stats.samples.length < 10) stats.samples.push(`${path}: ${r}`);
          }
        })
        .finally(() => (this.busy = false));
    }, everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
