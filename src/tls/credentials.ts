/**
 * The server's TLS credentials (certificate chain, key, CA bundle) read from PEM files, the options every TLS
 * listener is created with, and their reload without a restart.
 *
 * A reload (SIGHUP, or a change of one of the files seen by fs.watchFile) reads the three files again, checks them by
 * building a secure context, and hands the new context to every registered server with setSecureContext: connections
 * accepted afterwards present the new certificate, connections already open keep theirs. A reload that fails (a
 * missing file, bad PEM, a key that does not match the certificate) keeps the previous context and logs one error
 * line. Watching costs one stat per file per interval, nothing per connection.
 */
import { readFileSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import { createSecureContext, type SecureContextOptions, type Server as TlsServer, type TlsOptions } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { resolve } from 'node:path';

export interface TlsFiles {
  readonly cert: string;
  readonly key: string;
  readonly ca?: string;
}

export interface TlsPolicy {
  /** Ask for a client certificate and check it against the CA (verify_peer). */
  readonly verifyPeer: boolean;
  /** With verifyPeer: refuse a client that sends none (fail_if_no_peer_cert). */
  readonly failIfNoPeerCert: boolean;
}

interface Log {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

/** TLS 1.2 and 1.3 only, as RabbitMQ's default `ssl_options.versions` on current Erlang releases. */
export const TLS_MIN_VERSION = 'TLSv1.2';
/** Time a client has to finish the TLS handshake (RabbitMQ's ssl_handshake_timeout, 5 s). */
export const TLS_HANDSHAKE_TIMEOUT_MS = 5_000;
/** How often the files are checked for changes, and how long a burst of changes is waited out before reloading. */
export const WATCH_INTERVAL_MS = 2_000;
export const RELOAD_DEBOUNCE_MS = 500;

/** What is known of the certificate in use, for the logs and the certificate-expiration health check. */
export interface CertificateSummary {
  readonly subject: string;
  readonly serialNumber: string;
  readonly validFrom: string;
  readonly validTo: string;
  /** ms since the epoch. */
  readonly expiresAt: number;
}

export class TlsCredentials {
  private context: SecureContextOptions;
  private summary: CertificateSummary;
  private readonly servers = new Set<TlsServer>();
  private readonly paths: string[];
  private debounce: NodeJS.Timeout | undefined;
  private watching = false;

  /** Reads and checks the files; throws (with a sentence naming the file) when they cannot serve. */
  constructor(
    private readonly files: TlsFiles,
    private readonly log: Log,
    private readonly timing: { watchIntervalMs?: number; debounceMs?: number } = {},
  ) {
    this.paths = [files.cert, files.key, ...(files.ca === undefined ? [] : [files.ca])].map((p) => resolve(p));
    const loaded = readCredentials(files);
    this.context = loaded.options;
    this.summary = loaded.summary;
    this.warnIfOutOfDate();
  }

  get certificate(): CertificateSummary {
    return this.summary;
  }

  /** Options for tls.createServer / https.createServer: the current context, TLS 1.2+, the client-certificate policy. */
  serverOptions(policy: TlsPolicy): TlsOptions {
    return {
      ...this.context,
      minVersion: TLS_MIN_VERSION,
      handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS,
      requestCert: policy.verifyPeer,
      rejectUnauthorized: policy.verifyPeer && policy.failIfNoPeerCert,
    };
  }

  /** A server that takes the new context on each reload. */
  register(server: TlsServer): void {
    this.servers.add(server);
  }

  /**
   * Reads the files again; on success the servers present the new certificate to new connections. Returns false
   * (one error line logged, the old context kept) when the files cannot serve.
   */
  reload(reason: string): boolean {
    let loaded: ReturnType<typeof readCredentials>;
    try {
      loaded = readCredentials(this.files);
    } catch (err) {
      this.log.error({ reason, error: (err as Error).message }, 'TLS certificate reload failed; keeping the current certificate');
      return false;
    }
    this.context = loaded.options;
    this.summary = loaded.summary;
    for (const server of this.servers) server.setSecureContext(loaded.options);
    this.log.info({ reason, ...this.summary }, 'TLS certificate reloaded');
    this.warnIfOutOfDate();
    return true;
  }

  /** Reloads when one of the files changes (mtime, size or inode), after changes stop for a moment. */
  watch(): void {
    if (this.watching) return;
    this.watching = true;
    const interval = this.timing.watchIntervalMs ?? WATCH_INTERVAL_MS;
    for (const path of this.paths) watchFile(path, { interval, persistent: false }, this.onChange);
  }

  close(): void {
    clearTimeout(this.debounce);
    this.debounce = undefined;
    if (this.watching) for (const path of this.paths) unwatchFile(path, this.onChange);
    this.watching = false;
    this.servers.clear();
  }

  private readonly onChange = (current: Stats, previous: Stats): void => {
    if (current.mtimeMs === previous.mtimeMs && current.size === previous.size && current.ino === previous.ino) return;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      this.reload('files changed');
    }, this.timing.debounceMs ?? RELOAD_DEBOUNCE_MS);
    this.debounce.unref();
  };

  private warnIfOutOfDate(): void {
    const now = Date.now();
    const { validFrom, validTo, subject } = this.summary;
    if (this.summary.expiresAt < now) this.log.warn({ subject, validTo }, 'the TLS certificate has expired; clients will refuse it');
    else if (Date.parse(validFrom) > now) this.log.warn({ subject, validFrom }, 'the TLS certificate is not valid yet');
  }
}

/** The three files read and checked: a secure context is built from them, as the servers will build theirs. */
function readCredentials(files: TlsFiles): { options: SecureContextOptions; summary: CertificateSummary } {
  const cert = readPem(files.cert, 'certificate');
  const key = readPem(files.key, 'key');
  const ca = files.ca === undefined ? undefined : readPem(files.ca, 'CA bundle');
  const options: SecureContextOptions = { cert, key, ...(ca === undefined ? {} : { ca }) };
  try {
    createSecureContext(options);
  } catch (err) {
    throw new Error(`${files.cert} / ${files.key}${files.ca === undefined ? '' : ` / ${files.ca}`}: ${(err as Error).message}`);
  }
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw new Error(`${files.cert}: ${(err as Error).message}`);
  }
  const summary: CertificateSummary = {
    subject: x509.subject.replace(/\n/g, ', '),
    serialNumber: x509.serialNumber,
    validFrom: new Date(x509.validFrom).toISOString(),
    validTo: new Date(x509.validTo).toISOString(),
    expiresAt: Date.parse(x509.validTo),
  };
  return { options, summary };
}

function readPem(path: string, what: string): Buffer {
  let data: Buffer;
  try {
    data = readFileSync(resolve(path));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`cannot read the TLS ${what} ${path}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  if (!data.includes('-----BEGIN ')) throw new Error(`the TLS ${what} ${path} is not PEM`);
  return data;
}
