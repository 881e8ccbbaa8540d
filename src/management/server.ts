import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { closeServer, listenAll } from '../util/listen';
import { RateLimitedReport } from '../util/rate-limited-report';

export interface ManagementServer {
  readonly addresses: string[];
  readonly port: number;
  close(): Promise<void>;
}

interface Log {
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

/**
 * Listens for the management API on every address, and builds the Fastify app only when the first request arrives
 * (requests wait for it). Loading Fastify and compiling the routes' schemas costs a broker that nobody manages about
 * 20 MiB of RSS and 100 ms of start-up; the port is open from the start either way. A build that fails answers 500
 * and is tried again on the next request.
 *
 * `maxConnections` (per address) bounds the sockets the API holds, so that it cannot use up the file descriptors
 * the broker keeps for it; one more is closed at accept. Those refusals and accept errors are logged at most once a
 * second with their count, and never stop the listener.
 */
export async function startLazyManagement(
  build: () => Promise<FastifyInstance>,
  options: { bind: readonly string[]; port: number; maxConnections?: number },
  log: Log,
): Promise<ManagementServer> {
  let app: FastifyInstance | undefined;
  let building: Promise<FastifyInstance> | undefined;
  const ready = (): Promise<FastifyInstance> =>
    (building ??= build()
      .then(async (built) => {
        await built.ready();
        app = built;
        return built;
      })
      .catch((err: unknown) => {
        building = undefined;
        throw err;
      }));
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    if (app !== undefined) {
      app.routing(req, res);
      return;
    }
    ready().then(
      (built) => built.routing(req, res),
      (err: unknown) => {
        log.error({ err }, 'management API could not start');
        res.statusCode = 500;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ error: 'Internal Server Error', reason: 'management API could not start' }));
      },
    );
  };
  const maxConnections = options.maxConnections;
  const dropped = new RateLimitedReport<string | undefined>((refused, peer) =>
    log.warn({ peer, maxConnections, refused }, 'HTTP connection refused: too many connections'),
  );
  const acceptErrors = new RateLimitedReport<{ address: string; err: NodeJS.ErrnoException }>((count, { address, err }) =>
    log.error({ address, code: err.code, err, count }, 'HTTP listener error; still listening'),
  );
  const { servers, addresses, port } = await listenAll(
    () => {
      const server = createServer(handler);
      if (maxConnections !== undefined) server.maxConnections = maxConnections;
      server.on('drop', (data?: { remoteAddress?: string }) => dropped.add(data?.remoteAddress));
      return server;
    },
    options.bind,
    options.port,
    (address, code) => log.warn({ address, code }, 'cannot listen on this address; skipping it'),
    (address, err) => acceptErrors.add({ address, err }),
  );
  return {
    addresses,
    port,
    close: async () => {
      dropped.close();
      acceptErrors.close();
      for (const server of servers) server.closeAllConnections();
      await Promise.all(servers.map(closeServer));
      const pending = building;
      if (pending !== undefined) await (await pending.catch(() => undefined))?.close();
    },
  };
}
