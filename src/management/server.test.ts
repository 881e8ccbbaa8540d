/**
 * The management listener's own connection limit (issue 11): with maxConnections N, the N+1th socket is closed at
 * accept and logged (one line a second at most, with a count), the N open ones keep working, and once one closes a
 * new connection is served again. Loopback only, a handful of sockets.
 */
import { connect, type Socket } from 'node:net';
import { startLazyManagement } from './server';
import { buildFixture } from './test-support/fixture';

interface Line {
  level: 'warn' | 'error';
  details: Record<string, unknown>;
  message: string;
}

function recorder(): { lines: Line[]; log: { warn(d: object, m: string): void; error(d: object, m: string): void } } {
  const lines: Line[] = [];
  return {
    lines,
    log: {
      warn: (details, message) => lines.push({ level: 'warn', details: details as Record<string, unknown>, message }),
      error: (details, message) => lines.push({ level: 'error', details: details as Record<string, unknown>, message }),
    },
  };
}

/** An open TCP connection to the API. */
function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Sends one keep-alive GET on `socket`; resolves with the status line, or 'closed' if the server closed it. */
function get(socket: Socket, path = '/api/health/checks/alarms'): Promise<string> {
  return new Promise((resolve) => {
    let received = '';
    const onData = (chunk: Buffer): void => {
      received += chunk.toString('latin1');
      if (received.includes('\r\n\r\n')) {
        socket.off('data', onData);
        resolve(received.slice(0, received.indexOf('\r\n')));
      }
    };
    socket.on('data', onData);
    socket.once('close', () => resolve('closed'));
    socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ${Buffer.from('guest:guest').toString('base64')}\r\n\r\n`);
  });
}

describe('management listener connection limit', () => {
  test('the N+1th connection is closed at accept and logged; the N keep working; a freed slot is used again', async () => {
    const { app } = buildFixture();
    const { lines, log } = recorder();
    const server = await startLazyManagement(async () => app, { bind: ['127.0.0.1'], port: 0, maxConnections: 2 }, log);
    const sockets: Socket[] = [];
    try {
      sockets.push(await open(server.port), await open(server.port));
      expect(await get(sockets[0] as Socket)).toBe('HTTP/1.1 200 OK');
      expect(await get(sockets[1] as Socket)).toBe('HTTP/1.1 200 OK');

      const extra = await open(server.port);
      sockets.push(extra);
      expect(await get(extra)).toBe('closed');
      const extra2 = await open(server.port);
      sockets.push(extra2);
      expect(await get(extra2)).toBe('closed');

      expect(await get(sockets[0] as Socket)).toBe('HTTP/1.1 200 OK');
      expect(lines).toEqual([
        { level: 'warn', message: 'HTTP connection refused: too many connections', details: { peer: '127.0.0.1', maxConnections: 2, refused: 1 } },
      ]);

      (sockets[1] as Socket).destroy();
      await new Promise((resolve) => setTimeout(resolve, 50));
      const again = await open(server.port);
      sockets.push(again);
      expect(await get(again)).toBe('HTTP/1.1 200 OK');
    } finally {
      for (const socket of sockets) socket.destroy();
      await server.close();
      await app.close();
    }
    // The second refusal, counted in the same second, is reported when the listener closes.
    expect(lines.map((l) => l.details.refused)).toEqual([1, 1]);
  });
});
