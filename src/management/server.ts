import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { closeServer, listenAll } from '../util/listen';

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
 */
export async function startLazyManagement(
  build: () => Promise<FastifyInstance>,
  options: { bind: readonly string[]; port: number },
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
  const { servers, addresses, port } = await listenAll(
    () => createServer(handler),
    options.bind,
    options.port,
    (address, code) => log.warn({ address, code }, 'cannot listen on this address; skipping it'),
  );
  return {
    addresses,
    port,
    close: async () => {
      for (const server of servers) server.closeAllConnections();
      await Promise.all(servers.map(closeServer));
      const pending = building;
      if (pending !== undefined) await (await pending.catch(() => undefined))?.close();
    },
  };
}
