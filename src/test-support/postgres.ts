/**
 * A private PostgreSQL cluster for tests and the HA harness: Debian's postgresql package (15), initialised in a
 * temporary directory and started on its own loopback port. PostgreSQL refuses to run as root, so when we are root
 * the cluster belongs to the `postgres` user and every server command runs through `runuser`.
 *
 * Nothing here is skipped when PostgreSQL is missing: .ci/run installs it, and a test that needs it fails loudly.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface PostgresCluster {
  /** postgres://leveret@127.0.0.1:port/leveret (trust authentication on loopback). */
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** A URL for another database of this cluster, created if needed. */
  database(name: string): string;
  /** pg_ctl stop -m fast (or immediate: a crash, no shutdown checkpoint). */
  stop(mode?: 'fast' | 'immediate'): void;
  start(): void;
  /** stop + start. */
  restart(mode?: 'fast' | 'immediate'): void;
  /** Runs SQL as the superuser through psql and returns its unaligned, tuples-only output. */
  psql(sql: string, database?: string): string;
  /** Stops the server and removes the directory. */
  destroy(): void;
}

export interface PostgresOptions {
  /** Loopback port; a free one when absent. */
  port?: number;
  /** fsync=off and synchronous_commit=off: for contract tests, where durability across a machine crash is not under test. */
  fast?: boolean;
  /** Extra postgresql.conf lines. */
  config?: string[];
}

const BIN_CANDIDATES = ['/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/17/bin'];

export function postgresBinDir(): string {
  const fromEnv = process.env.LEVERET_PG_BIN;
  if (fromEnv !== undefined && fs.existsSync(path.join(fromEnv, 'initdb'))) return fromEnv;
  for (const dir of BIN_CANDIDATES) if (fs.existsSync(path.join(dir, 'initdb'))) return dir;
  throw new Error('PostgreSQL server binaries not found (apt-get install -y postgresql, or set LEVERET_PG_BIN)');
}

function asRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Runs a server binary as the cluster's owner. */
function runAsOwner(bin: string, args: string[], options: { input?: string } = {}): string {
  const [cmd, argv] = asRoot() ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  const result = spawnSync(cmd, argv, { encoding: 'utf8', input: options.input, timeout: 60_000 });
  if (result.status !== 0) {
    throw new Error(`${path.basename(bin)} ${args.join(' ')} failed (${result.status ?? result.signal}): ${result.stderr || result.stdout}`);
  }
  return result.stdout;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Initialises and starts a cluster with a `leveret` superuser and a `leveret` database. */
export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresCluster> {
  const bin = postgresBinDir();
  const port = options.port ?? (await freePort());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leveret-pg-'));
  const data = path.join(dir, 'data');
  const log = path.join(dir, 'server.log');
  fs.chmodSync(dir, 0o755);
  if (asRoot()) execFileSync('chown', ['postgres:postgres', dir]);
  runAsOwner(path.join(bin, 'initdb'), ['-D', data, '-U', 'leveret', '--auth=trust', '-E', 'UTF8', '--no-locale']);
  const conf = [
    `port = ${port}`,
    `listen_addresses = '127.0.0.1'`,
    `unix_socket_directories = '${dir}'`,
    'max_connections = 200',
    'shared_buffers = 128MB',
    ...(options.fast === true ? ['fsync = off', 'synchronous_commit = off', 'full_page_writes = off'] : []),
    ...(options.config ?? []),
  ];
  fs.appendFileSync(path.join(data, 'postgresql.conf'), `\n${conf.join('\n')}\n`);
  const pgCtl = path.join(bin, 'pg_ctl');
  const psqlBin = path.join(bin, 'psql');

  const cluster: PostgresCluster = {
    url: `postgres://leveret@127.0.0.1:${port}/leveret`,
    port,
    dir,
    database(name: string): string {
      const exists = cluster.psql(`SELECT 1 FROM pg_database WHERE datname = '${name.replace(/'/g, "''")}'`, 'postgres').trim();
      if (exists !== '1') cluster.psql(`CREATE DATABASE "${name.replace(/"/g, '""')}"`, 'postgres');
      return `postgres://leveret@127.0.0.1:${port}/${encodeURIComponent(name)}`;
    },
    stop(mode = 'fast'): void {
      runAsOwner(pgCtl, ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']);
    },
    start(): void {
      runAsOwner(pgCtl, ['-D', data, '-l', log, '-w', '-t', '60', 'start']);
    },
    restart(mode = 'fast'): void {
      cluster.stop(mode);
      cluster.start();
    },
    psql(sql: string, database = 'leveret'): string {
      return runAsOwner(psqlBin, ['-h', dir, '-p', String(port), '-U', 'leveret', '-d', database, '-v', 'ON_ERROR_STOP=1', '-At', '-c', sql]);
    },
    destroy(): void {
      try {
        cluster.stop('immediate');
      } catch {
        // not running
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  cluster.start();
  cluster.psql('CREATE DATABASE leveret', 'postgres');
  return cluster;
}
