/**
 * Issue 16, TLS: certificates are replaced without a restart. New connections get the new certificate (its serial
 * number tells), connections open before the change keep working, and a reload that fails keeps the certificate in
 * use and logs one error line.
 *
 * - a change of the files is picked up by the watcher (in-process broker, files checked every 100 ms);
 * - SIGHUP makes `leveret` (a child process) read them at once;
 * - bad PEM: the reload is refused, one error line, the old certificate stays.
 */
import * as amqp from 'amqplib';
import { copyFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LogLines } from '../../src/test-support/log-lines';
import { connect as tlsConnect } from 'node:tls';
import { startBroker, type RunningBroker } from '../../src/broker';
import { createLogger } from '../../src/observability/logger';
import { eventually } from '../support/broker';
import { killChildBrokers, makeDataDir, removeTempDirs, startChildBroker, type ChildBroker } from '../support/child-broker';
import { makePki, normalSerial, removePki, serialOf, type KeyPair, type Pki } from '../support/tls-certs';


const RELOADED = 'TLS certificate reloaded';
const RELOAD_FAILED = 'TLS certificate reload failed; keeping the current certificate';

let pki: Pki;
let first: KeyPair;
let second: KeyPair;
let live: { cert: string; key: string };
const brokers: RunningBroker[] = [];
const clients: amqp.ChannelModel[] = [];
let child: ChildBroker | undefined;

beforeAll(() => {
  pki = makePki();
  first = pki.server;
  second = pki.issue(pki.ca, { cn: 'localhost', san: 'IP:127.0.0.1,DNS:localhost', file: 'second-server' });
});
beforeEach(() => {
  // The files the broker is told about; each test starts from the first certificate.
  const dir = makeDataDir('leveret-tls-live-');
  live = { cert: join(dir, 'server.pem'), key: join(dir, 'server.key') };
  copyFileSync(first.cert, live.cert);
  copyFileSync(first.key, live.key);
});
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => undefined);
  for (const b of brokers.splice(0)) await b.close();
  if (child !== undefined) await child.stop('SIGTERM');
  child = undefined;
});
afterAll(async () => {
  await killChildBrokers();
  removeTempDirs();
  removePki(pki);
});

/** Replaces the live files the way a deployment tool does: write beside, then rename over. */
function install(pair: KeyPair): void {
  copyFileSync(pair.key, `${live.key}.new`);
  copyFileSync(pair.cert, `${live.cert}.new`);
  renameSync(`${live.key}.new`, live.key);
  renameSync(`${live.cert}.new`, live.cert);
}

/** The serial number of the certificate a new TLS connection to `port` is shown. */
async function servedSerial(port: number): Promise<string> {
  const socket = tlsConnect({ host: '127.0.0.1', port, ca: [pki.read(pki.ca.cert)] });
  try {
    await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    return normalSerial(socket.getPeerCertificate().serialNumber);
  } finally {
    socket.destroy();
  }
}

async function connect(port: number): Promise<amqp.ChannelModel> {
  const conn = await amqp.connect(`amqps://guest:guest@127.0.0.1:${port}`, { ca: [pki.read(pki.ca.cert)] });
  conn.on('error', () => undefined);
  clients.push(conn);
  return conn;
}

async function roundTrip(conn: amqp.ChannelModel, body: string): Promise<string> {
  const ch = await conn.createChannel();
  const { queue } = await ch.assertQueue('', { exclusive: true });
  ch.sendToQueue(queue, Buffer.from(body));
  const got = await new Promise<string>((resolve) => {
    void ch.consume(queue, (msg) => msg !== null && resolve(msg.content.toString()), { noAck: true });
  });
  await ch.close();
  return got;
}

async function start(log: LogLines, watchMs: number): Promise<RunningBroker> {
  const broker = await startBroker({
    port: 0,
    amqp: { bind: ['127.0.0.1'] },
    http: { bind: ['127.0.0.1'] },
    tls: { cert: live.cert, key: live.key },
    tlsWatchIntervalMs: watchMs,
    logger: createLogger({ level: 'info', destination: log }),
  });
  brokers.push(broker);
  return broker;
}

test('a change of the files is picked up: new connections get the new certificate, an open one keeps going', async () => {
  const log = new LogLines();
  const broker = await start(log, 100);
  const before = serialOf(first.cert);
  const after = serialOf(second.cert);
  expect(await servedSerial(broker.amqpsPort)).toBe(before);
  const old = await connect(broker.amqpsPort);

  install(second);
  await eventually(async () => (await servedSerial(broker.amqpsPort)) === after, 5000, 'the new certificate served');
  expect(log.withMessage(RELOADED)).toEqual([expect.objectContaining({ reason: 'files changed', level: 30 })]);
  expect(normalSerial(String(log.withMessage(RELOADED)[0]!['serialNumber']))).toBe(after);
  expect(log.withMessage(RELOAD_FAILED)).toEqual([]);
  // The connection made with the first certificate still works, and so does a new one.
  expect(await roundTrip(old, 'old connection')).toBe('old connection');
  expect(await roundTrip(await connect(broker.amqpsPort), 'new connection')).toBe('new connection');
  // HTTPS took the new certificate too.
  expect(await servedSerial(broker.httpsPort)).toBe(after);
});

test('bad PEM: the reload is refused with one error line and the certificate in use stays', async () => {
  const log = new LogLines();
  // The watcher is slowed right down, so that only the explicit reload (what SIGHUP calls) runs.
  const broker = await start(log, 600_000);
  const before = serialOf(first.cert);
  writeFileSync(live.cert, '-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n');
  expect(broker.reloadTls('test')).toBe(false);
  expect(log.withMessage(RELOAD_FAILED)).toEqual([expect.objectContaining({ reason: 'test', level: 50 })]);
  expect(log.withMessage(RELOADED)).toEqual([]);
  expect(await servedSerial(broker.amqpsPort)).toBe(before);
  expect(await roundTrip(await connect(broker.amqpsPort), 'still served')).toBe('still served');
  // A key that does not match the certificate is refused the same way.
  copyFileSync(second.cert, live.cert);
  expect(broker.reloadTls('mismatch')).toBe(false);
  expect(log.withMessage(RELOAD_FAILED)[1]).toMatchObject({ reason: 'mismatch', error: expect.stringMatching(/key values mismatch/) });
  expect(await servedSerial(broker.amqpsPort)).toBe(before);
});

test('SIGHUP makes leveret read the files at once', async () => {
  child = await startChildBroker({
    dataDir: makeDataDir(),
    extraArgs: ['--tls-cert', live.cert, '--tls-key', live.key, '--amqps-port', '0', '--https-port', 'off'],
  });
  const started = child.records().find((r) => r.msg === 'leveret started') as { amqps?: string[] };
  const address = started.amqps?.[0] ?? '';
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  expect(port).toBeGreaterThan(0);
  const old = await connect(port);
  expect(await servedSerial(port)).toBe(serialOf(first.cert));

  install(second);
  process.kill(child.pid, 'SIGHUP');
  const reloaded = await eventually(() => child?.records().find((r) => r.msg === RELOADED), 3000, 'the reload logged');
  // SIGHUP came long before the watcher's next look (every 2 s).
  expect(reloaded).toMatchObject({ reason: 'SIGHUP' });
  expect(normalSerial(String(reloaded['serialNumber']))).toBe(serialOf(second.cert));
  expect(await servedSerial(port)).toBe(serialOf(second.cert));
  expect(await roundTrip(old, 'kept')).toBe('kept');
  expect(child.exited()).toBe(false);
});
