/**
 * A broker short of file descriptors (issue 11): a child Leveret run under `prlimit --nofile=256`, with the default
 * connectionMax (infinity). Its AMQP connections stop short of the descriptor limit (256 - 64 for the process - 32
 * for HTTP = 160), so that however many AMQP clients come, the management API still answers and the process lives.
 * Before the limit, the 230th-odd connection took the last descriptor and new AMQP and HTTP connections were closed
 * unanswered. Loopback only; about 200 sockets, all closed at the end.
 */
import { connect, type Socket } from 'node:net';
import { killChildBrokers, makeDataDir, removeTempDirs, startChildBroker, type ChildBroker } from '../support/child-broker';

const OPEN_FILES = 256;
const EXPECTED_LIMIT = 160;

/** Connects, sends the AMQP header, and resolves 'start' when bytes come back, 'closed' when the socket closes first. */
function amqpProbe(port: number, sockets: Socket[]): Promise<'start' | 'closed'> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(Buffer.from('AMQP\x00\x00\x09\x01', 'latin1')));
    sockets.push(socket);
    socket.once('data', () => resolve('start'));
    socket.once('close', () => resolve('closed'));
    socket.on('error', () => undefined);
  });
}

function httpPort(broker: ChildBroker): number {
  const started = broker.records().find((r) => r.msg === 'leveret started');
  const first = (started?.http as string[] | undefined)?.[0] ?? '';
  return Number(first.slice(first.lastIndexOf(':') + 1));
}

async function overview(port: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/api/overview`, {
    headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` },
    signal: AbortSignal.timeout(5000),
  });
  await res.arrayBuffer();
  return res.status;
}

afterAll(async () => {
  await killChildBrokers();
  removeTempDirs();
});

(process.platform === 'linux' ? describe : describe.skip)('a broker with 256 file descriptors', () => {
  test('AMQP stops at 160 connections, the rest are closed at accept; the HTTP API answers; the process lives', async () => {
    const broker = await startChildBroker({ dataDir: makeDataDir('leveret-fd-'), openFiles: OPEN_FILES });
    const sockets: Socket[] = [];
    try {
      expect(broker.records().find((r) => r.msg === 'AMQP connection limit')).toMatchObject({
        connectionMax: EXPECTED_LIMIT,
        setting: 'infinity',
        fileDescriptors: OPEN_FILES,
      });

      // In batches, so the test itself never has hundreds of connects in flight.
      const answers: Array<'start' | 'closed'> = [];
      for (let batch = 0; batch < 5; batch++) {
        answers.push(...(await Promise.all(Array.from({ length: 40 }, () => amqpProbe(broker.port, sockets)))));
      }
      expect(answers.filter((a) => a === 'start')).toHaveLength(EXPECTED_LIMIT);
      expect(answers.filter((a) => a === 'closed')).toHaveLength(200 - EXPECTED_LIMIT);

      expect(await overview(httpPort(broker))).toBe(200);
      expect(broker.exited()).toBe(false);
      const refusals = broker.records().filter((r) => r.msg === 'AMQP connection refused: connection_max reached');
      expect(refusals.length).toBeGreaterThanOrEqual(1);
      expect(refusals.length).toBeLessThanOrEqual(3);
      expect(broker.records().filter((r) => (r.level as number) >= 50)).toEqual([]);

      // A slot freed is a slot used.
      (sockets.find((s) => !s.destroyed && s.bytesRead > 0) as Socket).destroy();
      let again: 'start' | 'closed' = 'closed';
      for (let i = 0; i < 20 && again === 'closed'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        again = await amqpProbe(broker.port, sockets);
      }
      expect(again).toBe('start');
    } finally {
      for (const s of sockets) s.destroy();
      expect(await broker.stop()).toBe(0);
    }
  });
});
