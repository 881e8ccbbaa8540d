import { mkdirSync, readFileSync } from 'node:fs';
import { DelayedScheduler } from './delayed/scheduler';
import type { Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { AccessControl } from './auth/access';
import { LoginThrottle } from './auth/login-throttle';
import { DEFAULT_HASHING_ALGORITHM, hashPassword } from './auth/passwords';
import { defaultSettings, type CountLimit, type Settings } from './config/settings';
import { AcceptGate, connectionLimit, descriptorBudget } from './connection/admission';
import { Connection } from './connection/connection';
import type { ConnectionContext } from './connection/context';
import { createLogger, type Logger } from './observability/logger';
import { brokerAlarms, type ResourceAlarms } from './observability/alarms';
import { connectionByteRates, recordHistories } from './observability/history';
import { ChurnStats, MessageStats } from './observability/stats';
import { startLazyManagement, type ManagementServer } from './management/server';
import type { HaInfo } from './management/deps';
import { loadDefinitionsFile } from './admin/definitions';
import { AuditLog, type AuditOptions } from './admin/audit';
import { AdminService } from './admin/service';
import { AmqpError } from './protocol/amqp-error';
import type { FieldTable } from './protocol/field-table';
import { ReplyCode } from './protocol/generated/amqp';
import { MemoryStore } from './store/memory';
import { SqliteStore } from './store/sqlite';
import type { Store } from './store/store';
import { closeServer, waitForSockets } from './util/listen';
import { startCoarseClock } from './util/clock';
import { openFilesLimit } from './util/open-files';
import { RateLimitedReport } from './util/rate-limited-report';
import { VhostRegistry } from './vhost/registry';
import { brokerUrls, httpListenerCount, httpsOption, listenAmqp, listenerInfo, openTlsCredentials, tlsEndpoints, type AmqpListeners, type TlsBrokerOptions, type TlsEndpoints } from './listeners';

export interface BrokerOptions extends Partial<Omit<Settings, 'amqp' | 'http' | 'amqps' | 'https' | 'tls'>>, TlsBrokerOptions {
  amqp?: Partial<Settings['amqp']>;
  http?: Partial<Settings['http']>;
  /** Shorthand for amqp.port. */
  port?: number;
  logger?: Logger;
  /**
   * Where durable state lives. Defaults to SQLite in `dataDir` when a dataDir is given, else to memory (a test
   * suite's in-process broker keeps nothing on disk).
   */
  store?: Store;
  /** The built web admin UI served at the management port's `/` (default: dist/admin-ui of this package). */
  uiDir?: string;
  /** On a node of an active/standby group (active-standby.ts): what the management API shows of the group. */
  ha?: HaInfo;
  /** On such a node: false once it lost its lead; connections then handle nothing more they read (context.ts). */
  serving?: () => boolean;
  /** The audit log's bounds (default: the newest 100,000 entries of the last 30 days); `enabled: false` records nothing. */
  audit?: AuditOptions;
}

export interface RunningBroker extends TlsEndpoints {
  /** amqp://user:pass@host:port for the default user and the first listener (amqps:// when plain AMQP is off). */
  readonly url: string;
  /** The plain AMQP port; 0 when it is off. */
  readonly port: number;
  /** Every address:port listened on for plain AMQP. */
  readonly addresses: readonly string[];
  /** http://host:port of the management API (https:// when plain HTTP is off; '' when both are off). */
  readonly httpUrl: string;
  readonly httpPort: number;
  readonly httpAddresses: readonly string[];
  readonly alarms: ResourceAlarms;
  /** Stops accepting, closes client connections with 320 CONNECTION_FORCED and releases the store. */
  close(): Promise<void>;
}

const SHUTDOWN_GRACE_MS = 3_500;
/** How often message rates are sampled, as RabbitMQ's collect_statistics_interval. */
const STATS_INTERVAL_MS = 5_000;

/** Composition root: the only place that wires the modules together. Also the library entry. */
export async function startBroker(options: BrokerOptions = {}): Promise<RunningBroker> {
  const settings = resolveSettings(options);
  const logger = options.logger ?? createLogger({ level: settings.logLevel });
  // The TLS files are read first: a missing or bad one stops the start before anything else is opened.
  const credentials = openTlsCredentials(settings, logger.child({ component: 'tls' }), options.tlsWatchIntervalMs);
  const store = options.store ?? openStore(options.dataDir, settings, logger);

  const access = new AccessControl(store, new Set(settings.loopbackUsers));
  // One for AMQP and HTTP: failed logins over either hold back the next refusals to that peer over both.
  const logins = new LoginThrottle();
  const churn = new ChurnStats();
  const delayedLogger = logger.child({ component: 'delayed' });
  const delayed = new DelayedScheduler(store, (record, redelivered) => vhosts.routeDelayed(record, redelivered), {
    onError: (err, record) => delayedLogger.error({ err, id: record?.id }, 'delayed message delivery failed'),
  });
  const queueLogger = logger.child({ component: 'queue' });
  const vhosts = new VhostRegistry(store, churn, delayed, {
    internalError: (err, where) => queueLogger.error({ err, ...where }, 'internal error contained'),
    setAside: (where) => queueLogger.warn(where, 'message moved to the quarantine'),
    deadLettersDropped: (vhost, dropped) =>
      queueLogger.warn({ vhost, dropped }, 'dead-letter copies dropped: a cascade of dead-lettering queues went past its bounds'),
    creatingQueue: (_vhost, name) => {
      const max = finite(settings.clusterQueueLimit);
      if (max !== undefined && vhosts.queueCount() >= max) {
        throw new AmqpError(ReplyCode.PreconditionFailed, `cannot declare queue '${name}': queue limit in cluster (${max}) is reached`);
      }
    },
  });
  vhosts.vhostMax = finite(settings.vhostMax) ?? Infinity;
  let audit: AuditLog;
  try {
    recover(store, settings, access, vhosts, logger);
    audit = new AuditLog(store, options.audit);
    // The loadDefinitions file, through the same import as POST /api/definitions; a bad file stops the start.
    if (settings.loadDefinitions !== undefined) {
      const file = resolve(settings.loadDefinitions);
      const summary = loadDefinitionsFile({ vhosts, access, store }, file);
      logger.info({ file, ...summary }, 'imported definitions');
      audit.record({
        user: '',
        source: 'definitions',
        peer: '',
        vhost: '',
        action: 'definitions.import',
        object: { type: 'definitions', name: file },
        details: { ...summary },
        result: 'ok',
      });
    }
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  delayed.start();

  const connections = new Set<Connection>();
  /** Connections accepted and not yet open (logged in, vhost opened): bounded by unauthenticatedConnectionMax. */
  const handshaking = new Set<object>();
  const alarms = brokerAlarms({ ...settings, dataDir: options.dataDir, logger, store }, connections);
  const stats = new MessageStats();
  const sampler = setInterval(() => sampleStats(stats, churn, vhosts, connections), STATS_INTERVAL_MS);
  sampler.unref();
  // Queue entries stamp their arrival (queue health) with the coarse clock: one timer, no system call per message.
  const leaveCoarseClock = startCoarseClock();
  const context: ConnectionContext = {
    limits: {
      frameMax: settings.frameMax,
      channelMax: settings.channelMax,
      heartbeat: settings.heartbeat,
      consumerTimeout: settings.consumerTimeout,
      maxMessageSize: settings.maxMessageSize,
      handshakeTimeoutMs: settings.handshakeTimeout,
      outputBufferMax: settings.outputBufferMax,
      fieldTableMaxDepth: settings.fieldTableMaxDepth,
      ...optional('consumerMaxPerChannel', finite(settings.consumerMaxPerChannel)),
      ...optional('channelMaxPerNode', finite(settings.channelMaxPerNode)),
    },
    logger,
    certLoginFrom: settings.tls.certLoginFrom,
    serverProperties: serverProperties(settings.nodeName),
    nodeName: settings.nodeName,
    access,
    logins,
    stats,
    churn,
    ...(audit.enabled ? { audit } : {}),
    vhost: (name) => vhosts.get(name),
    connectionCount: ({ vhost, user }) => {
      let n = 0;
      for (const c of connections) {
        if (c.isOpen && (vhost === undefined || c.vhost.name === vhost) && (user === undefined || c.userName === user)) n++;
      }
      return n;
    },
    channelCount: (user) => {
      let n = 0;
      for (const c of connections) if (c.isOpen && c.userName === user) n += c.channels.size;
      return n;
    },
    totalChannelCount: () => {
      let n = 0;
      for (const c of connections) n += c.channels.size;
      return n;
    },
    connectionOpened: (connection) => void handshaking.delete(connection),
    ...(options.serving === undefined ? {} : { serving: options.serving }),
    connectionClosed: (connection) => {
      handshaking.delete(connection);
      if (connections.delete(connection as Connection)) churn.counts.connection_closed++;
    },
  };
  vhosts.onDeleted((name) => {
    for (const connection of connections) connection.vhostDeleted(name);
    access.vhostDeleted(name);
  });
  access.onUserDeleted((name) => {
    for (const connection of connections) connection.userDeleted(name);
  });

  // connection_max, capped by the file descriptors (connection/admission.ts): one more is closed at accept.
  const fileDescriptors = openFilesLimit();
  const budget = descriptorBudget(fileDescriptors, httpListenerCount(settings, credentials));
  const gate = new AcceptGate(connectionLimit(settings.connectionMax, budget), (refused, peer) =>
    logger.warn({ peer, connectionMax: gate.limit, refused }, 'AMQP connection refused: connection_max reached'),
  );
  if (gate.limit !== Infinity) {
    const level = settings.connectionMax !== 'infinity' && settings.connectionMax > gate.limit ? 'warn' : 'info';
    logger[level]({ connectionMax: gate.limit, setting: settings.connectionMax, fileDescriptors }, 'AMQP connection limit');
  }
  const listenerErrors = new RateLimitedReport<{ address: string; err: NodeJS.ErrnoException }>((count, { address, err }) =>
    logger.error({ address, code: err.code, err, count }, 'AMQP listener error; still listening'),
  );
  const handshakeGate = new AcceptGate(settings.unauthenticatedConnectionMax, (refused, peer) =>
    logger.warn(
      { peer, unauthenticatedConnectionMax: handshakeGate.limit, refused },
      'AMQP connection refused: too many connections still in their handshake',
    ),
  );
  // Plain and TLS sockets alike: the raw TCP socket is admitted (and counted) at accept, before any handshake; a TLS
  // one counts as handshaking from then on, until its Connection (which counts itself until connection.open) starts.
  const sockets = new Set<Socket>();
  const admit = (socket: Socket, tls = false): boolean => {
    if (!gate.admit(sockets.size, socket.remoteAddress) || !handshakeGate.admit(handshaking.size, socket.remoteAddress)) {
      socket.destroy();
      return false;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    if (tls) {
      handshaking.add(socket);
      socket.once('close', () => handshaking.delete(socket));
    }
    return true;
  };
  const start = (socket: Socket, raw?: Socket): void => {
    if (raw !== undefined) handshaking.delete(raw);
    const connection = new Connection(socket, context);
    connection.flow.alarmsChanged(alarms.reason);
    connections.add(connection);
    handshaking.add(connection);
    churn.counts.connection_created++;
  };

  let listeners: AmqpListeners;
  try {
    listeners = await listenAmqp(settings, credentials, { admit, start }, logger, (address, err) => listenerErrors.add({ address, err }));
  } catch (err) {
    clearInterval(sampler);
    leaveCoarseClock();
    delayed.close();
    await store.close().catch(() => undefined);
    throw err;
  }
  const { plain, secure, servers } = listeners;

  // The management API. A library user who asked for an ephemeral AMQP port gets an ephemeral HTTP port too,
  // so test suites can run brokers side by side.
  const httpPort = options.http?.port ?? (options.port === 0 || options.amqp?.port === 0 ? 0 : settings.http.port);
  let http: ManagementServer;
  try {
    const name = settings.nodeName;
    const managementLogger = logger.child({ component: 'management' });
    const admin = new AdminService({
      vhosts,
      access,
      store,
      connections: () =>
        [...connections].map((c) => {
          const rates = connectionByteRates(c);
          return { ...c.managementInfo, recvOctRate: rates.recv, sendOctRate: rates.send };
        }),
      nodeName: name,
      logins,
      logger: managementLogger,
      audit,
      alarms,
    });
    const deps = {
      admin,
      logger: managementLogger,
      ...(options.uiDir === undefined ? {} : { uiDir: options.uiDir }),
      stats,
      churn,
      node: {
        name,
        startedAt: Date.now(),
        product: 'Leveret',
        version: packageVersion(),
        ...(credentials === undefined ? {} : { certificate: () => credentials.certificate }),
        amqpListeners: listenerInfo(listeners),
        limits: limitsInForce(settings, gate.limit),
        ...(options.ha === undefined ? {} : { ha: options.ha }),
      },
      maxBodySize: settings.http.maxBodySize,
    };
    // Fastify is loaded with the first HTTP request (server.ts says why).
    const build = async () => (await import('./management/app')).buildManagementApp(deps);
    http = await startLazyManagement(
      build,
      { bind: settings.http.bind, port: httpPort, maxConnections: budget.httpPerListener, ...httpsOption(settings, credentials) },
      deps.logger,
    );
    for (const server of http.httpsServers) credentials?.register(server);
  } catch (err) {
    clearInterval(sampler);
    leaveCoarseClock();
    delayed.close();
    await Promise.all(servers.map(closeServer));
    secure.closeReports();
    await store.close().catch(() => undefined);
    throw err;
  }
  credentials?.watch();
  alarms.start();
  logger.debug({ addresses: http.addresses }, 'management API started');
  logger.debug({ addresses: plain.addresses }, 'AMQP listener started');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      clearInterval(sampler);
      alarms.stop();
      leaveCoarseClock();
      const stopped = Promise.all(servers.map(closeServer));
      for (const connection of connections) connection.forceClose('shutdown');
      await waitForSockets(sockets, SHUTDOWN_GRACE_MS);
      for (const socket of sockets) socket.destroy();
      await stopped;
      await http.close();
      credentials?.close();
      secure.closeReports();
      gate.close();
      handshakeGate.close();
      listenerErrors.close();
      delayed.close();
      for (const { vhost } of vhosts.list()) vhost.stop();
      await store.close();
      logger.info('broker stopped');
    })());

  return {
    ...brokerUrls(settings, listeners, http),
    port: plain.port,
    addresses: plain.addresses,
    httpPort: http.port,
    httpAddresses: http.addresses,
    ...tlsEndpoints(listeners, http, credentials),
    alarms,
    close,
  };
}

/** Turns counters into rates: the broker's, and every queue's, exchange's and channel's. */
function sampleStats(stats: MessageStats, churn: ChurnStats, vhosts: VhostRegistry, connections: Iterable<Connection>): void {
  const seconds = STATS_INTERVAL_MS / 1000;
  stats.sample(seconds);
  churn.sample(seconds);
  for (const { vhost } of vhosts.list()) {
    for (const queue of vhost.queues.values()) queue.stats.sample(seconds);
    for (const exchange of vhost.exchanges.values()) exchange.stats.sample(seconds);
  }
  for (const connection of connections) for (const channel of connection.channels.values()) channel.stats.sample(seconds);
  // Lengths, vhost totals and the broker's counters into the management API's sample histories.
  const vhostList = vhosts.list().map(({ vhost }) => vhost);
  recordHistories(Date.now(), stats, vhostList, [...connections].map((c) => ({ key: c, info: c.managementInfo })));
}

function openStore(dataDir: string | undefined, settings: Settings, logger: Logger): Store {
  if (dataDir === undefined) return new MemoryStore();
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  return SqliteStore.open({ dataDir: dir, durability: settings.durability, logger: logger.child({ component: 'store' }) });
}

/**
 * Loads users and vhosts, and each vhost's durable definitions and queue backlogs. On first boot (an empty store)
 * creates the default vhost and user with full permissions, as RabbitMQ does.
 */
function recover(
  store: Store,
  settings: Settings,
  access: AccessControl,
  vhosts: VhostRegistry,
  logger: Logger,
): void {
  let stored = store.loadAccess();
  // First boot: the default vhost and user, unless a definitions file provides them (as RabbitMQ does).
  if (stored.vhosts.length === 0 && stored.users.length === 0 && settings.loadDefinitions === undefined) {
    store.putVhost({ name: settings.defaultVhost, description: 'Default virtual host', tags: [] });
    store.putUser({
      name: settings.defaultUser,
      passwordHash: hashPassword(settings.defaultPass),
      hashingAlgorithm: DEFAULT_HASHING_ALGORITHM,
      tags: ['administrator'],
    });
    store.putPermission({ user: settings.defaultUser, vhost: settings.defaultVhost, configure: '.*', write: '.*', read: '.*' });
    stored = store.loadAccess();
    logger.info({ vhost: settings.defaultVhost, user: settings.defaultUser }, 'first start: created the default vhost and user');
  }
  const parameters = store.loadParameters();
  access.load(stored, parameters);
  const definitions = store.loadDefinitions();
  vhosts.load(stored.vhosts, definitions, parameters);
  const queues = definitions.queues.length;
  if (queues > 0 || definitions.exchanges.length > 0) {
    logger.info({ exchanges: definitions.exchanges.length, queues, bindings: definitions.bindings.length }, 'recovered durable definitions');
  }
}

/** A count limit as a number, undefined for 'infinity'. */
function finite(limit: CountLimit): number | undefined {
  return limit === 'infinity' ? undefined : limit;
}

/** `{ [key]: value }` when there is a value, `{}` otherwise (for optional fields under exactOptionalPropertyTypes). */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** The limits in force by their rabbitmq.conf names (Leveret's own in snake case), for GET /api/overview. */
function limitsInForce(settings: Settings, connectionMax: number): Record<string, number | string> {
  return {
    connection_max: connectionMax === Infinity ? 'infinity' : connectionMax,
    channel_max: settings.channelMax,
    channel_max_per_node: settings.channelMaxPerNode,
    consumer_max_per_channel: settings.consumerMaxPerChannel,
    cluster_queue_limit: settings.clusterQueueLimit,
    vhost_max: settings.vhostMax,
    max_message_size: settings.maxMessageSize,
    frame_max: settings.frameMax,
    heartbeat: settings.heartbeat,
    handshake_timeout: settings.handshakeTimeout,
    consumer_timeout: settings.consumerTimeout,
    'management.http.max_body_size': settings.http.maxBodySize,
    unauthenticated_connection_max: settings.unauthenticatedConnectionMax,
    output_buffer_max: settings.outputBufferMax,
    field_table_max_depth: settings.fieldTableMaxDepth,
  };
}

function resolveSettings(options: BrokerOptions): Settings {
  const base = defaultSettings();
  const { amqp, http, amqps, https, tls, port, logger: _logger, store: _store, ha: _ha, serving: _serving, uiDir: _uiDir, tlsWatchIntervalMs: _w, ...rest } = options;
  // Asked for an ephemeral AMQP port: the TLS listeners take ephemeral ports too unless given theirs.
  const ephemeral = port === 0 || amqp?.port === 0 ? { port: 0 } : {};
  const settings: Settings = {
    ...base,
    ...stripUndefined(rest),
    amqp: { ...base.amqp, ...stripUndefined(amqp ?? {}) },
    http: { ...base.http, ...stripUndefined(http ?? {}) },
    amqps: { ...base.amqps, ...ephemeral, ...stripUndefined(amqps ?? {}) },
    https: { ...base.https, ...ephemeral, ...stripUndefined(https ?? {}) },
    tls: { ...base.tls, ...stripUndefined(tls ?? {}) },
  };
  if (port !== undefined) settings.amqp.port = port;
  return settings;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

function serverProperties(nodeName: string): FieldTable {
  return {
    product: 'Leveret',
    version: packageVersion(),
    platform: `Node.js ${process.version}`,
    cluster_name: nodeName,
    copyright: 'Copyright (c) the Leveret authors',
    information: 'Licensed under the MIT License',
    capabilities: {
      publisher_confirms: true,
      exchange_exchange_bindings: true,
      'basic.nack': true,
      consumer_cancel_notify: true,
      'connection.blocked': true,
      consumer_priorities: true,
      authentication_failure_close: true,
      per_consumer_qos: true,
    },
  };
}
