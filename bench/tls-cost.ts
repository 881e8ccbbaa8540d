/**
 * What TLS costs the broker (issue 16): a child `leveret` with a throwaway certificate (EC P-256, made with openssl),
 * measured from outside.
 *
 *   node -r ./bench/ts-register.cjs bench/tls-cost.ts [--connections 400] [--handshakes 500] [--messages 30000]
 *
 * - memory: the broker's RSS with N idle plain connections (protocol header sent, start-ok not yet), then N more
 *   over TLS 1.3, per connection;
 * - handshakes: N sequential TLS 1.3 handshakes to the AMQPS port, per second (what a handshake flood costs);
 * - throughput: publish N 1 KiB messages with confirms and consume them on one connection, plain then TLS.
 */
import * as amqp from 'amqplib';
import { readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { killChildBrokers, makeDataDir, removeTempDirs, startChildBroker } from '../conformance-tests/support/child-broker';
import { makePki, removePki } from '../conformance-tests/support/tls-certs';
import { PROTOCOL_HEADER } from '../src/protocol/frames';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at === -1 ? undefined : Number(process.argv[at + 1]);
  return value !== undefined && Number.isSafeInteger(value) && value > 0 ? value : fallback;
}

const rssMiB = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function throughput(url: string, options: object, n: number): Promise<number> {
  const conn = await amqp.connect(url, options);
  const ch = await conn.createConfirmChannel();
  const { queue } = await ch.assertQueue('', { exclusive: true });
  const body = Buffer.alloc(1024, 1);
  const start = process.hrtime.bigint();
  let got = 0;
  const done = new Promise<void>((resolve) => {
    void ch.consume(queue, () => ++got === n && resolve(), { noAck: true });
  });
  for (let i = 0; i < n; i++) if (!ch.sendToQueue(queue, body)) await new Promise((resolve) => ch.once('drain', resolve));
  await ch.waitForConfirms();
  await done;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await conn.close();
  return Math.round(n / seconds);
}

async function main(): Promise<void> {
  const connections = option('connections', 400);
  const handshakes = option('handshakes', 500);
  const messages = option('messages', 30000);
  const pki = makePki();
  const ca = [pki.read(pki.ca.cert)];
  const broker = await startChildBroker({
    dataDir: makeDataDir(),
    extraArgs: ['--tls-cert', pki.server.cert, '--tls-key', pki.server.key, '--amqps-port', '0', '--https-port', 'off', '--unauthenticated-connection-max', String(4 * connections)],
  });
  const hold: Socket[] = [];
  try {
    const started = broker.records().find((r) => r.msg === 'leveret started') as { amqps: string[] };
    const tlsPort = Number(started.amqps[0]?.split(':').pop());
    await pause(500);
    const idle = rssMiB(broker.pid);
    for (let i = 0; i < connections; i++) {
      hold.push(await new Promise<Socket>((resolve) => {
        const s = netConnect(broker.port, '127.0.0.1', () => resolve(s));
        s.write(PROTOCOL_HEADER);
      }));
    }
    await pause(1000);
    const plain = rssMiB(broker.pid);
    for (let i = 0; i < connections; i++) {
      hold.push(await new Promise<Socket>((resolve) => {
        const s = tlsConnect({ host: '127.0.0.1', port: tlsPort, ca }, () => resolve(s));
        s.write(PROTOCOL_HEADER);
      }));
    }
    await pause(1000);
    const tls = rssMiB(broker.pid);
    for (const s of hold.splice(0)) s.destroy();
    const perConnection = (mib: number): string => `${((mib * 1024) / connections).toFixed(1)} KiB`;
    console.log(`RSS: idle ${idle.toFixed(1)} MiB; ${connections} plain connections +${perConnection(plain - idle)} each; ${connections} TLS 1.3 ones +${perConnection(tls - plain)} each`);

    await pause(500);
    const start = Date.now();
    for (let i = 0; i < handshakes; i++) {
      await new Promise<void>((resolve, reject) => {
        const s = tlsConnect({ host: '127.0.0.1', port: tlsPort, ca }, () => {
          s.destroy();
          resolve();
        });
        s.on('error', reject);
      });
    }
    const ms = Date.now() - start;
    console.log(`${handshakes} sequential TLS 1.3 handshakes: ${ms} ms, ${Math.round(handshakes / (ms / 1000))}/s`);

    const url = `amqp://guest:guest@127.0.0.1:${broker.port}`;
    const tlsUrl = `amqps://guest:guest@127.0.0.1:${tlsPort}`;
    await throughput(url, {}, 2000);
    await throughput(tlsUrl, { ca }, 2000);
    for (let round = 1; round <= 3; round++) {
      console.log(`round ${round}: amqp ${await throughput(url, {}, messages)} msg/s, amqps ${await throughput(tlsUrl, { ca }, messages)} msg/s (1 KiB, confirms, one connection)`);
    }
  } finally {
    for (const s of hold) s.destroy();
    await broker.stop('SIGTERM');
    await killChildBrokers();
    removeTempDirs();
    removePki(pki);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
