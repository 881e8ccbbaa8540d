/**
 * What a Leveret node of the ha-test is: the command that starts it, and how the harness tells whether it is the
 * active one. The one place that knows the difference between the two set-ups:
 *  - 'postgres': every node runs `--store <its forwarder's URL> --node-name nK`; the active one serves AMQP, the
 *    standbys refuse it and say so on GET /api/leveret/ha.
 *  - 'sqlite': one node on its own data directory (the harness's own check: kill -9 and SIGSTOP of a lone broker
 *    that the supervisor restarts on the same directory). It is active whenever it serves AMQP.
 */
import net from 'node:net';
import { join } from 'node:path';

export type StoreKind = 'sqlite' | 'postgres';

export const REPO_ROOT = join(__dirname, '..', '..');
const TS_REGISTER = join(REPO_ROOT, 'conformance-tests', 'support', 'ts-register.cjs');
const MAIN = join(REPO_ROOT, 'src', 'main.ts');

export interface NodeSpec {
  /** n1, n2, ... */
  name: string;
  amqpPort: number;
  httpPort: number;
  dataDir: string;
  /** postgres:// URL through this node's forwarder ('postgres' only). */
  storeUrl?: string;
}

/** The argv (after `node`) that starts a node from the sources. */
export function nodeArgs(kind: StoreKind, spec: NodeSpec): string[] {
  const args = [
    '-r',
    TS_REGISTER,
    MAIN,
    '--port',
    String(spec.amqpPort),
    '--bind',
    '127.0.0.1',
    '--http-port',
    String(spec.httpPort),
    '--http-bind',
    '127.0.0.1',
    '--data-dir',
    spec.dataDir,
    '--log-level',
    'info',
  ];
  if (kind === 'postgres') {
    if (spec.storeUrl === undefined) throw new Error(`node ${spec.name}: no store URL`);
    args.push('--store', spec.storeUrl, '--node-name', spec.name);
  }
  return args;
}

export function amqpUrl(spec: NodeSpec, heartbeatS: number): string {
  return `amqp://guest:guest@127.0.0.1:${spec.amqpPort}/?heartbeat=${heartbeatS}`;
}

/** What GET /api/leveret/ha says (postgres only). */
export interface HaView {
  node: string;
  role: 'active' | 'standby';
  epoch: number;
  leader: { node: string; amqp: string; http: string; since: string } | null;
}

export interface Probe {
  /** Completed the start of an AMQP handshake: sent connection.start after our protocol header. */
  amqp: boolean;
  /** The node's HA view, when it answered ('postgres' only). */
  ha: HaView | undefined;
}

const AMQP_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]);
const FRAME_METHOD = 1;

/**
 * Sends the AMQP protocol header and waits for the first frame: a node that serves AMQP answers with a method
 * frame (connection.start). Refused, closed, or silent for `timeoutMs` (a paused process whose listening socket
 * still accepts): false.
 */
export function probeAmqp(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let done = false;
    const end = (ok: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => end(false), timeoutMs);
    socket.once('connect', () => socket.write(AMQP_HEADER));
    socket.once('data', (d: Buffer) => end(d[0] === FRAME_METHOD));
    socket.once('error', () => end(false));
    socket.once('close', () => end(false));
  });
}

export async function fetchHa(spec: NodeSpec, timeoutMs: number): Promise<HaView | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${spec.httpPort}/api/leveret/ha`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return undefined;
    const body = (await res.json()) as HaView;
    return typeof body.role === 'string' ? body : undefined;
  } catch {
    return undefined;
  }
}

export async function probe(kind: StoreKind, spec: NodeSpec, timeoutMs = 1000): Promise<Probe> {
  const [amqp, ha] = await Promise.all([probeAmqp(spec.amqpPort, timeoutMs), kind === 'postgres' ? fetchHa(spec, timeoutMs) : undefined]);
  return { amqp, ha };
}

/** Whether a probe says this node is the active one: it serves AMQP and (postgres) calls itself active. */
export function isActive(kind: StoreKind, p: Probe): boolean {
  return p.amqp && (kind === 'sqlite' || p.ha?.role === 'active');
}

/** Whether a node is up as a member of the cluster: active, or a standby that answers its HTTP API. */
export function isUp(kind: StoreKind, p: Probe): boolean {
  return kind === 'sqlite' ? p.amqp : p.ha !== undefined;
}
