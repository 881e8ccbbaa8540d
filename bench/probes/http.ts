/**
 * HTTP requests to the management API for the probes (node:http, loopback, a timeout on every request), and the
 * /proc figures of the broker process.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';

export interface HttpResult {
  /** 0 when no response arrived (connection refused, reset, timeout). */
  status: number;
  body: string;
  ms: number;
  /** Why no response came, when status is 0. */
  error?: string;
}

export interface HttpOptions {
  user?: string;
  password?: string;
  /** Sent as is when a string; JSON-encoded otherwise. */
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
  agent?: http.Agent;
}

/** One request; never rejects. */
export function request(base: string, method: string, path: string, o: HttpOptions = {}): Promise<HttpResult> {
  const url = new URL(path, base);
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  if (o.user !== undefined) headers.authorization = `Basic ${Buffer.from(`${o.user}:${o.password ?? ''}`).toString('base64')}`;
  let payload: Buffer | undefined;
  if (o.body !== undefined) {
    payload = Buffer.from(typeof o.body === 'string' ? o.body : JSON.stringify(o.body));
    if (headers['content-type'] === undefined) headers['content-type'] = 'application/json';
    headers['content-length'] = String(payload.length);
  }
  const t0 = performance.now();
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: Omit<HttpResult, 'ms'>): void => {
      if (done) return;
      done = true;
      resolve({ ...r, ms: performance.now() - t0 });
    };
    const req = http.request(
      { host: url.hostname, port: url.port, method, path: url.pathname + url.search, headers, agent: o.agent ?? false },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= 1 << 20) chunks.push(c);
        });
        res.on('end', () => finish({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (e) => finish({ status: res.statusCode ?? 0, body: '', error: e.message }));
      },
    );
    req.setTimeout(o.timeoutMs ?? 10_000, () => {
      req.destroy();
      finish({ status: 0, body: '', error: 'timeout' });
    });
    req.on('error', (e) => finish({ status: 0, body: '', error: (e as NodeJS.ErrnoException).code ?? e.message }));
    req.end(payload);
  });
}

/** A management API client bound to a base URL and credentials. */
export class Api {
  constructor(
    readonly base: string,
    readonly user = 'guest',
    readonly password = 'guest',
  ) {}

  call(method: string, path: string, o: HttpOptions = {}): Promise<HttpResult> {
    return request(this.base, method, path, { user: this.user, password: this.password, ...o });
  }
  get(path: string, o: HttpOptions = {}): Promise<HttpResult> {
    return this.call('GET', path, o);
  }
  put(path: string, body: unknown, o: HttpOptions = {}): Promise<HttpResult> {
    return this.call('PUT', path, { ...o, body });
  }
  post(path: string, body: unknown, o: HttpOptions = {}): Promise<HttpResult> {
    return this.call('POST', path, { ...o, body });
  }
  del(path: string, o: HttpOptions = {}): Promise<HttpResult> {
    return this.call('DELETE', path, o);
  }

  /** PUT a user with full permissions on `vhost` unless perms are given. Throws unless the API accepted it. */
  async createUser(name: string, password: string, tags = '', perms = { configure: '.*', write: '.*', read: '.*' }, vhost = '/'): Promise<void> {
    const u = await this.put(`/api/users/${encodeURIComponent(name)}`, { password, tags });
    if (u.status >= 300) throw new Error(`PUT user ${name}: ${u.status} ${u.body}`);
    const p = await this.put(`/api/permissions/${encodeURIComponent(vhost)}/${encodeURIComponent(name)}`, perms);
    if (p.status >= 300) throw new Error(`PUT permissions ${name}: ${p.status} ${p.body}`);
  }

  /** A JSON body, or undefined when the request failed or the body is not JSON. */
  async json(path: string): Promise<unknown> {
    const r = await this.get(path);
    if (r.status !== 200) return undefined;
    try {
      return JSON.parse(r.body) as unknown;
    } catch {
      return undefined;
    }
  }
}

export const vh = encodeURIComponent('/');

// ---------------------------------------------------------------------------------------------------------------
// /proc
// ---------------------------------------------------------------------------------------------------------------

export interface ProcStatus {
  rssMiB: number;
  vmMiB: number;
}

/** VmRSS and VmSize of a process in MiB; undefined when it is gone. */
export function procStatus(pid: number): ProcStatus | undefined {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)\\s+kB`, 'm').exec(s)?.[1] ?? 0);
    return { rssMiB: kib('VmRSS') / 1024, vmMiB: kib('VmSize') / 1024 };
  } catch {
    return undefined;
  }
}

/** Open file descriptors of a process (-1 when unreadable). */
export function fdCount(pid: number): number {
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return -1;
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function r1(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
