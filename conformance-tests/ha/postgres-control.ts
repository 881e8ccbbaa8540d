/**
 * The ha-test's PostgreSQL: a private cluster from src/test-support/postgres.ts (fsync on: this is the durable
 * set-up under test), and a restart that does not block the harness's event loop (the helper's own restart runs
 * pg_ctl synchronously, which would freeze the publishers and consumers for the duration of the restart and skew
 * every timing taken around it).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { postgresBinDir, startPostgres, type PostgresCluster } from '../../src/test-support/postgres';

export type RestartMode = 'fast' | 'immediate';

export interface HaPostgres {
  readonly cluster: PostgresCluster;
  /** pg_ctl stop -m mode; resolves when the server is down. */
  stop(mode: RestartMode): Promise<void>;
  /** pg_ctl start; resolves when the server accepts connections again. */
  start(): Promise<void>;
  /** Stops the server and removes its directory. */
  destroy(): void;
}

function asRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function pgCtl(args: string[]): Promise<void> {
  const bin = join(postgresBinDir(), 'pg_ctl');
  const [cmd, argv] = asRoot() ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`pg_ctl ${args.join(' ')} failed (${code}): ${out}`))));
  });
}

export async function startHaPostgres(config: string[] = []): Promise<HaPostgres> {
  const cluster = await startPostgres({ config });
  const data = join(cluster.dir, 'data');
  const log = join(cluster.dir, 'server.log');
  return {
    cluster,
    stop: (mode: RestartMode) => pgCtl(['-D', data, '-m', mode, '-w', '-t', '60', 'stop']),
    start: () => pgCtl(['-D', data, '-l', log, '-w', '-t', '60', 'start']),
    destroy: () => cluster.destroy(),
  };
}
