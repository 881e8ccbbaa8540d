import type { Server, Socket } from 'node:net';

/** Address errors that mean "this host has no such address family" (no IPv6): skipped when another works. */
const OPTIONAL_ADDRESS_ERRORS = new Set(['EADDRNOTAVAIL', 'EAFNOSUPPORT']);

export interface Listening<S extends Server> {
  readonly servers: S[];
  /** "host:port" / "[v6]:port" for every address listened on. */
  readonly addresses: string[];
  readonly port: number;
}

/**
 * Listens on every address with servers from `create`. IPv6 addresses listen IPv6-only, so '0.0.0.0' and '::' can
 * share a port; port 0 picks one ephemeral port, reused for the other addresses. An address whose family the host
 * lacks is skipped (reported through `skipped`) when several are given; any other failure closes what was opened.
 *
 * Once listening, a server's errors go to `failed` and the server keeps listening: an accept that fails (EMFILE when
 * the process is out of file descriptors) would otherwise be an unhandled 'error' event and end the process.
 */
export async function listenAll<S extends Server>(
  create: () => S,
  bind: readonly string[],
  port: number,
  skipped: (address: string, code: string) => void,
  failed: (address: string, err: NodeJS.ErrnoException) => void,
): Promise<Listening<S>> {
  const servers: S[] = [];
  const addresses: string[] = [];
  for (const address of bind) {
    const server = create();
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: address, port, ipv6Only: address.includes(':') }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (OPTIONAL_ADDRESS_ERRORS.has(code) && bind.length > 1) {
        skipped(address, code);
        continue;
      }
      await Promise.all(servers.map(closeServer));
      throw err;
    }
    const bound = server.address();
    if (bound !== null && typeof bound === 'object') port = bound.port;
    const shown = address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
    server.on('error', (err: NodeJS.ErrnoException) => failed(shown, err));
    servers.push(server);
    addresses.push(shown);
  }
  if (servers.length === 0) throw new Error(`none of ${bind.join(', ')} could be listened on`);
  return { servers, addresses, port };
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Resolves once every socket closed, or after `timeoutMs`. */
export function waitForSockets(sockets: Set<Socket>, timeoutMs: number): Promise<void> {
  if (sockets.size === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    const check = (): void => {
      if (sockets.size > 0) return;
      clearTimeout(timer);
      resolve();
    };
    for (const socket of sockets) socket.once('close', () => setImmediate(check));
  });
}

/** A listen address as a URL host: wildcard addresses become loopback, IPv6 gets brackets. */
export function urlHost(address: string): string {
  if (address === '0.0.0.0') return '127.0.0.1';
  if (address === '::') return '[::1]';
  return address.includes(':') ? `[${address}]` : address;
}

/** "host:port" / "[v6]:port" split. */
export function parseAddress(address: string): { ip: string; port: number } {
  const at = address.lastIndexOf(':');
  return { ip: address.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(address.slice(at + 1)) };
}
