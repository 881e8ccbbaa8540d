/**
 * Composition for a node on a PostgreSQL store (`--store postgres://...`): the HA loop (ha/node.ts) with the pieces
 * it drives, the PostgreSQL store, the broker and the standby's HTTP server. broker.ts stays the composition root
 * of one broker; this file composes the node around it. main.ts calls startActiveStandby instead of startBroker.
 */
import { startBroker, type BrokerOptions, type RunningBroker } from './broker';
import { verifyPassword } from './auth/passwords';
import type { Settings } from './config/settings';
import { HaNode } from './ha/node';
import { STORE_APPLICATION_NAME } from './ha/lock-session';
import { haJson, nodeJson, startStandbyHttp } from './ha/standby-http';
import type { HaInfo } from './management/deps';
import type { Logger } from './observability/logger';
import { ensureSchema, PostgresStore, readAccess } from './store/postgres';

/** Tags whose users may read /api/nodes (RabbitMQ: monitoring and above). */
const NODE_READERS = new Set(['monitoring', 'administrator']);

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export interface ActiveStandbyNode {
  readonly ha: HaNode;
  /** The running broker while this node is active. */
  readonly broker: () => RunningBroker | undefined;
  /** Stops the node (an active node closes its broker cleanly). */
  close(): Promise<void>;
}

/**
 * Starts the node's loop: it waits as a standby and serves as the active node when it holds the lead. `onStarted`
 * is told each time the broker listens (main.ts logs 'leveret started'). Resolves at once; the loop runs until close().
 */
export function startActiveStandby(
  settings: Settings,
  logger: Logger,
  onStarted: (broker: RunningBroker) => void,
  extra: Omit<BrokerOptions, keyof Settings | 'logger' | 'store'> = {},
): ActiveStandbyNode {
  const url = settings.storeUrl;
  const amqpHost = settings.amqp.bind[0] ?? '127.0.0.1';
  const httpHost = settings.http.bind[0] ?? '127.0.0.1';
  const amqp = settings.amqp.port === 'off' ? '' : hostPort(amqpHost, settings.amqp.port);
  const http = settings.http.port === 'off' ? '' : hostPort(httpHost, settings.http.port);
  const haLogger = logger.child({ component: 'ha' });
  let running: RunningBroker | undefined;
  const ha: HaNode = new HaNode({
    url,
    node: settings.nodeName,
    leaseMs: settings.haLease,
    amqp,
    http,
    logger: haLogger,
    ensureSchema: () => ensureSchema(url),
    becomeActive: async (epoch, onFatal) => {
      const store = await PostgresStore.open({
        url,
        logger: logger.child({ component: 'store' }),
        fence: { epoch },
        applicationName: `${STORE_APPLICATION_NAME}:${settings.nodeName}`.slice(0, 63),
      });
      const info: HaInfo = {
        status: () => haJson(ha.status()),
        otherNodes: () => {
          const view = ha.status();
          return view.nodes.filter((n) => n.name !== view.node).map((n) => nodeJson(view, n));
        },
        figures: () => ha.status(),
      };
      const broker = await startBroker({ ...settings, ...extra, logger, store, ha: info, serving: () => ha.serving() });
      broker.alarms.onFatal(() => onFatal('the store can write no more (fenced by a newer epoch, or failing)'));
      running = broker;
      onStarted(broker);
      return {
        close: async () => {
          running = undefined;
          await broker.close();
        },
      };
    },
    startStandbyHttp: async () => {
      if (settings.http.port === 'off') return undefined;
      return startStandbyHttp({
        host: httpHost,
        port: settings.http.port,
        status: () => ha.status(),
        authenticate: async (user, password) => {
          const access = await readAccess(url);
          const found = access.users.find((u) => u.name === user);
          return (
            found !== undefined &&
            found.passwordHash !== '' &&
            verifyPassword(found.passwordHash, found.hashingAlgorithm, password) &&
            found.tags.some((t) => NODE_READERS.has(t))
          );
        },
      });
    },
  });
  ha.start();
  return { ha, broker: () => running, close: () => ha.stop() };
}
