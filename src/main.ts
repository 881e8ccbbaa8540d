#!/usr/bin/env node
/**
 * Process entry for the `leveret` command: settings, logger, data directory, broker, signals.
 * Everything else is wired in broker.ts; this file only deals with the process.
 *
 * Exit codes: 0 after a clean shutdown (or --help / --version), 1 when the broker cannot start or fails while
 * running, 2 for bad configuration, 1 when a second signal cuts a shutdown short.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startBroker, type RunningBroker } from './broker';
import { ConfigError, commandLineAction, loadSettings, usage } from './config/load';
import type { Settings } from './config/settings';
import { createLogger, type Logger } from './observability/logger';
import { isCliCommand, runCli } from './cli/messages';

function version(): string {
  // package.json sits one level above both src/ and dist/.
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

/** "127.0.0.1:5672", "[::1]:5672". */
function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** One readable sentence for the errors a listener or the data directory typically fails with. */
function describeStartupError(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  const where = e.address !== undefined && e.port !== undefined ? hostPort(e.address, e.port) : undefined;
  switch (e.code) {
    case 'EADDRINUSE':
      return `cannot listen on ${where ?? 'the configured address'}: address already in use (is another broker running?)`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${where ?? 'the configured address'}: no such address on this machine (check --bind)`;
    case 'EACCES':
      return where !== undefined
        ? `cannot listen on ${where}: permission denied (ports below 1024 need privileges)`
        : `permission denied: ${e.message}`;
    default:
      return err instanceof Error ? err.message : String(err);
  }
}

interface Running {
  close(): Promise<void>;
  reloadTls(reason: string): unknown;
}

function installSignalHandlers(broker: Running, log: Logger): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn({ signal }, 'second signal, exiting without waiting for shutdown');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    broker.close().then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // SIGHUP reloads the TLS certificate, key and CA (new connections get them; open ones keep theirs).
  process.on('SIGHUP', () => {
    if (broker.reloadTls('SIGHUP') === undefined) log.info('SIGHUP: no TLS certificate to reload');
  });
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (isCliCommand(command)) {
    process.exitCode = await runCli(command, rest);
    return;
  }
  const action = commandLineAction(argv);
  if (action === 'help') {
    process.stdout.write(usage());
    return;
  }
  if (action === 'version') {
    process.stdout.write(`leveret ${version()}\n`);
    return;
  }

  let settings: Settings;
  try {
    settings = loadSettings({ argv, env: process.env });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`leveret: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }

  const log = createLogger({ level: settings.logLevel });
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception, exiting');
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    log.fatal({ err }, 'unhandled promise rejection, exiting');
    process.exit(1);
  });

  const dataDir = resolve(settings.dataDir);
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (err) {
    log.fatal({ err }, `cannot create data directory ${dataDir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    process.exit(1);
  }

  const started = (b: RunningBroker): void => {
    // Not broker.url: it carries the default user's password.
    const secure = b.amqpsAddresses.length + b.httpsAddresses.length > 0 ? { amqps: b.amqpsAddresses, https: b.httpsAddresses } : {};
    log.info({ version: version(), amqp: b.addresses, http: b.httpAddresses, ...secure, dataDir }, 'leveret started');
  };

  if (settings.storeUrl !== 'sqlite') {
    // A node of an active/standby group on PostgreSQL: it waits as a standby until it holds the lead, then serves.
    // Loaded only here: a node on SQLite never loads the PostgreSQL client.
    const { startActiveStandby } = await import('./active-standby');
    const node = startActiveStandby(settings, log, started);
    installSignalHandlers({ close: () => node.close(), reloadTls: (reason) => node.broker()?.reloadTls(reason) }, log);
    log.info({ version: version(), node: settings.nodeName, store: redactUrl(settings.storeUrl) }, 'leveret node started: standby until it holds the lead');
    return;
  }

  let broker: RunningBroker;
  try {
    broker = await startBroker({ ...settings, logger: log });
    // A store that can write no more: exit non-zero, so that a supervisor restarts the broker (confirmed messages
    // are on disk; what was not confirmed was never promised).
    broker.alarms.onFatal(() => process.exit(1));
  } catch (err) {
    log.fatal({ err }, describeStartupError(err));
    process.exit(1);
  }

  installSignalHandlers(broker, log);
  started(broker);
}

/** The store URL without its password, for the log. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://...';
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`leveret: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
