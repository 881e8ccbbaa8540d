import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { TlsOptions } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { closeServer, listenAll } from '../util/listen';
import { RateLimitedReport } from '../util/rate-limited-report';

export interface ManagementServer {
  /** The plain HTTP listeners; none (and port 0) when the plain port is 'off'. */
  readonly addresses: string[];
  readonly port: number;
  /** The HTTPS listeners; none (and port 0) without `https` options. */
  readonly httpsAddresses: string[];
  readonly httpsPort: number;
  /** The HTTPS servers, for certificate reloads (setSecureContext). */
  readonly httpsServers: readonly HttpsServer[];
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
  options: {
    bind: readonly string[];
    /** 'off': no plain HTTP listener. */
    port: number | 'off';
    maxConnections?: number;
    /** HTTPS listeners serving the same app (management.ssl.*). */
    https?: { bind: readonly string[]; port: number; tls: TlsOptions };
  },
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
  const tlsErrors = new RateLimitedReport<{ peer: string | undefined; err: Error & { code?: string } }>((count, { peer, err }) =>
    log.warn({ peer, code: err.code, error: err.message, count }, 'HTTPS handshake failed'),
  );
  const limit = <S extends Server>(server: S): S => {
    if (maxConnections !== undefined) server.maxConnections = maxConnections;
    server.on('drop', (data?: { remoteAddress?: string }) => dropped.add(data?.remoteAddress));
    return server;
  };
  const skipped = (address: string, code: string): void => log.warn({ address, code }, 'cannot listen on this address; skipping it');
  const failed = (address: string, err: NodeJS.ErrnoException): void => acceptErrors.add({ address, err });
  const servers: Server[] = [];
  const close = async (): Promise<void> => {
    dropped.close();
    acceptErrors.close();
    tlsErrors.close();
    for (const server of servers) server.closeAllConnections();
    await Promise.all(servers.map(closeServer));
    const pending = building;
    if (pending !== undefined) await (await pending.catch(() => undefined))?.close();
  };
  const plain =
    options.port === 'off'
      ? { servers: [], addresses: [], port: 0 }
      : await listenAll(() => limit(createServer(handler)), options.bind, options.port, skipped, failed);
  servers.push(...plain.servers);
  let secure: { servers: HttpsServer[]; addresses: string[]; port: number } = { servers: [], addresses: [], port: 0 };
  const https = options.https;
  if (https !== undefined) {
    try {
      secure = await listenAll(
        () => {
          const server = limit(createHttpsServer(https.tls, handler));
          server.on('tlsClientError', (err: Error & { code?: string }, socket: { remoteAddress?: string }) =>
            tlsErrors.add({ peer: socket.remoteAddress, err }),
          );
          return server;
        },
        https.bind,
        https.port,
        skipped,
        failed,
      );
    } catch (err) {
      await close();
      throw err;
    }
    servers.push(...secure.servers);
  }
  return {
    addresses: plain.addresses,
    port: plain.port,
    httpsAddresses: secure.addresses,
    httpsPort: secure.port,
    httpsServers: secure.servers,
    close,
  };
}
