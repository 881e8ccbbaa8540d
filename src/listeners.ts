/**
 * The broker's listeners, for broker.ts (the composition root) alone: plain AMQP and AMQPS feeding the same
 * connection code, the TLS credentials they and HTTPS share, the management API's HTTPS options, and the URLs and
 * listener list all this makes.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { tlsEnabled, type Settings } from './config/settings';
import type { ManagementServer } from './management/server';
import type { Logger } from './observability/logger';
import { TlsCredentials } from './tls/credentials';
import { listenTls, type TlsListening } from './tls/listener';
import { closeServer, listenAll, parseAddress, urlHost, type Listening } from './util/listen';

/** startBroker's TLS options. */
export interface TlsBrokerOptions {
  /** AMQPS and HTTPS listen when tls.cert and tls.key are set; with port 0 given for AMQP they take ephemeral ports too. */
  amqps?: Partial<Settings['amqps']>;
  https?: Partial<Settings['https']>;
  tls?: Partial<Settings['tls']>;
  /** How often the TLS files are checked for changes (default 2 s; tests shorten it). */
  tlsWatchIntervalMs?: number;
}

/** What a running broker tells of its TLS side: absent / 0 / empty without TLS. */
export interface TlsEndpoints {
  readonly amqpsUrl?: string;
  readonly amqpsPort: number;
  readonly amqpsAddresses: readonly string[];
  readonly httpsUrl?: string;
  readonly httpsPort: number;
  readonly httpsAddresses: readonly string[];
  /** Reads the TLS files again (as SIGHUP does): true when the new certificate is in use, undefined without TLS. */
  reloadTls(reason?: string): boolean | undefined;
}

/** The TLS files read and checked (throws when they cannot serve); undefined without tls.cert and tls.key. */
export function openTlsCredentials(settings: Settings, logger: Logger, watchIntervalMs?: number): TlsCredentials | undefined {
  if (!tlsEnabled(settings)) return undefined;
  const files = settings.tls as { cert: string; key: string; ca?: string };
  return new TlsCredentials(files, logger, watchIntervalMs === undefined ? {} : { watchIntervalMs });
}

export interface AmqpListeners {
  readonly plain: Listening<Server>;
  readonly secure: TlsListening;
  /** Both kinds, for closing. */
  readonly servers: Server[];
}

export interface AcceptHooks {
  /** A TCP connection arrived (`tls`: on the AMQPS port, its handshake still to come); false when refused. */
  admit(socket: Socket, tls: boolean): boolean;
  /** A socket ready for AMQP; `raw` is the TCP socket under a TLS one. */
  start(socket: Socket | TLSSocket, raw?: Socket): void;
}

/** Plain AMQP unless amqp.port is off, AMQPS when TLS is on and amqps.port is not off; nothing left open on failure. */
export async function listenAmqp(
  settings: Settings,
  credentials: TlsCredentials | undefined,
  hooks: AcceptHooks,
  logger: Logger,
  failed: (address: string, err: NodeJS.ErrnoException) => void,
): Promise<AmqpListeners> {
  const skipped = (address: string, code: string): void => logger.warn({ address, code }, 'cannot listen on this address; skipping it');
  let plain: Listening<Server> = { servers: [], addresses: [], port: 0 };
  let secure: TlsListening = { servers: [], addresses: [], port: 0, closeReports: () => undefined };
  if (settings.amqp.port !== 'off') {
    const onConnection = (socket: Socket): void => {
      if (hooks.admit(socket, false)) hooks.start(socket);
    };
    plain = await listenAll(() => createServer({ noDelay: true }, onConnection), settings.amqp.bind, settings.amqp.port, skipped, failed);
  }
  if (credentials !== undefined && settings.amqps.port !== 'off') {
    const bind = settings.amqps.bind ?? settings.amqp.bind;
    const tlsHooks = { admit: (raw: Socket) => hooks.admit(raw, true), secured: (socket: TLSSocket, raw: Socket | undefined) => hooks.start(socket, raw) };
    try {
      secure = await listenTls(credentials.serverOptions(settings.tls), bind, settings.amqps.port, tlsHooks, logger.child({ component: 'tls' }));
    } catch (err) {
      await Promise.all(plain.servers.map(closeServer));
      throw err;
    }
    for (const server of secure.servers) credentials.register(server);
  }
  return { plain, secure, servers: [...plain.servers, ...secure.servers] };
}

/** startLazyManagement's `https` option: the same certificate, no client certificate asked (management.ssl's verify_none). */
export function httpsOption(settings: Settings, credentials: TlsCredentials | undefined): { https?: { bind: string[]; port: number; tls: object } } {
  if (credentials === undefined || settings.https.port === 'off') return {};
  const tls = credentials.serverOptions({ verifyPeer: false, failIfNoPeerCert: false });
  return { https: { bind: settings.https.bind ?? settings.http.bind, port: settings.https.port, tls } };
}

/** The management API's listeners, plain and HTTPS, among which its share of the file descriptors is split. */
export function httpListenerCount(settings: Settings, credentials: TlsCredentials | undefined): number {
  const plain = settings.http.port === 'off' ? 0 : settings.http.bind.length;
  const secure = credentials === undefined || settings.https.port === 'off' ? 0 : (settings.https.bind ?? settings.http.bind).length;
  return plain + secure;
}

/** The management API's listener list: AMQP, then AMQPS as protocol 'amqp/ssl' (RabbitMQ's names). */
export function listenerInfo({ plain, secure }: AmqpListeners): Array<{ ip: string; port: number; protocol?: string }> {
  return [...plain.addresses.map(parseAddress), ...secure.addresses.map((a) => ({ ...parseAddress(a), protocol: 'amqp/ssl' }))];
}

export interface BrokerUrls {
  /** amqp:// of the default user, or amqps:// when plain AMQP is off. */
  readonly url: string;
  readonly amqpsUrl?: string;
  /** http://, or https:// when plain HTTP is off; '' without either. */
  readonly httpUrl: string;
  readonly httpsUrl?: string;
}

export function brokerUrls(settings: Settings, { plain, secure }: AmqpListeners, http: ManagementServer): BrokerUrls {
  const vhost = settings.defaultVhost === '/' ? '' : `/${encodeURIComponent(settings.defaultVhost)}`;
  const user = `${encodeURIComponent(settings.defaultUser)}:${encodeURIComponent(settings.defaultPass)}`;
  const at = (bind: readonly string[], port: number): string => `${urlHost(bind[0] ?? '127.0.0.1')}:${port}`;
  const amqpsUrl = secure.addresses.length > 0 ? `amqps://${user}@${at(settings.amqps.bind ?? settings.amqp.bind, secure.port)}${vhost}` : undefined;
  const amqpUrl = plain.addresses.length > 0 ? `amqp://${user}@${at(settings.amqp.bind, plain.port)}${vhost}` : undefined;
  const httpsUrl = http.httpsAddresses.length > 0 ? `https://${at(settings.https.bind ?? settings.http.bind, http.httpsPort)}` : undefined;
  const httpUrl = http.addresses.length > 0 ? `http://${at(settings.http.bind, http.port)}` : undefined;
  return {
    url: amqpUrl ?? amqpsUrl ?? '',
    ...(amqpsUrl === undefined ? {} : { amqpsUrl }),
    httpUrl: httpUrl ?? httpsUrl ?? '',
    ...(httpsUrl === undefined ? {} : { httpsUrl }),
  };
}

/** TlsEndpoints but the URLs (brokerUrls gives those). */
export function tlsEndpoints(
  { secure }: AmqpListeners,
  http: ManagementServer,
  credentials: TlsCredentials | undefined,
): Omit<TlsEndpoints, 'amqpsUrl' | 'httpsUrl'> {
  return {
    amqpsPort: secure.port,
    amqpsAddresses: secure.addresses,
    httpsPort: http.httpsPort,
    httpsAddresses: http.httpsAddresses,
    reloadTls: (reason = 'requested') => credentials?.reload(reason),
  };
}
