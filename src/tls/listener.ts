/**
 * The AMQPS listeners: TLS servers on every address, whose established sockets go to the same connection code as
 * plain ones. The raw TCP socket passes the accept gate (connection_max) before its handshake starts; a handshake
 * that fails (plain AMQP sent to this port, a client that distrusts our certificate, a client certificate refused
 * under verify_peer) is logged as one warn line, floods summarised once a second.
 */
import type { Socket } from 'node:net';
import { createServer, type Server, type TLSSocket, type TlsOptions } from 'node:tls';
import { listenAll, type Listening } from '../util/listen';
import { RateLimitedReport } from '../util/rate-limited-report';

interface Log {
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface TlsListenerHooks {
  /** A TCP connection arrived: false when it is refused (the hook destroys it). */
  admit(raw: Socket): boolean;
  /** The handshake finished: the socket carries AMQP from here. `raw` is the TCP socket `admit` was given. */
  secured(socket: TLSSocket, raw: Socket | undefined): void;
}

export interface TlsListening extends Listening<Server> {
  /** Reports handshake failures still counted. */
  closeReports(): void;
}

export async function listenTls(
  options: TlsOptions,
  bind: readonly string[],
  port: number,
  hooks: TlsListenerHooks,
  log: Log,
): Promise<TlsListening> {
  const handshakes = new RateLimitedReport<{ peer: string | undefined; err: Error & { code?: string } }>((count, { peer, err }) =>
    log.warn({ peer, code: err.code, error: err.message, count }, 'AMQPS connection refused: TLS handshake failed'),
  );
  const acceptErrors = new RateLimitedReport<{ address: string; err: NodeJS.ErrnoException }>((count, { address, err }) =>
    log.error({ address, code: err.code, err, count }, 'AMQPS listener error; still listening'),
  );
  const refused = new WeakSet<Socket>();
  const listening = await listenAll(
    () => {
      const server = createServer({ ...options, noDelay: true }, (socket: TLSSocket) => {
        // verify_peer without fail_if_no_peer_cert (requestCert, not rejectUnauthorized): a client may send no
        // certificate, but one it sends must verify, as in RabbitMQ.
        if (!socket.authorized && options.requestCert === true && socket.getPeerX509Certificate() !== undefined) {
          const err = Object.assign(new Error(String(socket.authorizationError)), { code: 'CLIENT_CERTIFICATE_REFUSED' });
          handshakes.add({ peer: socket.remoteAddress, err });
          socket.destroy();
          return;
        }
        hooks.secured(socket, rawOf(socket));
      });
      server.on('connection', (raw: Socket) => {
        if (!hooks.admit(raw)) refused.add(raw);
      });
      server.on('tlsClientError', (err: Error & { code?: string }, socket: TLSSocket) => {
        // A socket the gate refused fails its handshake too; that refusal is already logged.
        const raw = rawOf(socket);
        if (raw !== undefined && refused.has(raw)) return;
        handshakes.add({ peer: socket.remoteAddress, err });
      });
      return server;
    },
    bind,
    port,
    (address, code) => log.warn({ address, code }, 'cannot listen on this address; skipping it'),
    (address, err) => acceptErrors.add({ address, err }),
  );
  return {
    ...listening,
    closeReports: () => {
      handshakes.close();
      acceptErrors.close();
    },
  };
}

/**
 * The TCP socket under a server-side TLSSocket. `_parent` is Node's internal (Node 20); were it gone, a refusal at
 * accept would also log a failed handshake, and a TLS socket would count as handshaking until it closes (both
 * caught by conformance-tests/extensions/tls.test.ts).
 */
function rawOf(socket: TLSSocket): Socket | undefined {
  return (socket as unknown as { _parent?: Socket })._parent ?? undefined;
}
