import { connect, createServer, type Server } from 'node:net';
import { closeServer, listenAll } from './listen';

/** Connects to 127.0.0.1:port and resolves with the first bytes received, or '' if the socket closes first. */
function firstBytes(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('data', (data) => {
      resolve(data.toString());
      socket.destroy();
    });
    socket.once('close', () => resolve(''));
    socket.once('error', reject);
  });
}

describe('listenAll', () => {
  test('an accept error after listening (EMFILE) is reported, does not throw, and the server keeps accepting', async () => {
    const failures: Array<[string, string | undefined]> = [];
    const { servers, port, addresses } = await listenAll(
      () => createServer((socket) => socket.end('hello')),
      ['127.0.0.1'],
      0,
      () => undefined,
      (address, err) => failures.push([address, err.code]),
    );
    const server = servers[0] as Server;
    try {
      expect(await firstBytes(port)).toBe('hello');
      // What net.Server does when accept() fails: an 'error' event; with no listener it would end the process.
      const emfile = Object.assign(new Error('accept EMFILE'), { code: 'EMFILE', errno: -24, syscall: 'accept' });
      expect(() => server.emit('error', emfile)).not.toThrow();
      expect(failures).toEqual([[addresses[0], 'EMFILE']]);
      expect(server.listening).toBe(true);
      expect(await firstBytes(port)).toBe('hello');
    } finally {
      await Promise.all(servers.map(closeServer));
    }
  });
});
