/**
 * `node -r ./conformance-tests/support/ts-register.cjs conformance-tests/fuzz/capture-traffic.ts`: records the frames
 * amqplib really sends (through a recording TCP proxy in front of a child broker) for a handshake, a table-carrying
 * declare and bind, publishes with properties and headers, a consume with acks and nacks, get, qos, confirms,
 * transactions, cancel and close, and writes them to amqplib-traffic.json. The fuzzer mutates these frames (traffic.ts) beside
 * the ones it builds from the spec: real clients put their bytes where the vocabulary might not (client-properties
 * tables, header tables, property flag combinations). The file is committed so that a seed always gives the same
 * frames; run this again after an amqplib upgrade.
 */
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as amqp from 'amqplib';
import { BrokerProcess } from './broker-process';
import { TRAFFIC_FILE, type TrafficFile } from './traffic';


interface Capture {
  bytes: Buffer[];
  total: number;
}

/** A one-connection proxy to `target` that records what the client sends. */
function recordingProxy(target: { host: string; port: number }, capture: Capture): Promise<net.Server> {
  const server = net.createServer((client) => {
    const upstream = net.connect(target);
    client.on('data', (d: Buffer) => {
      capture.bytes.push(Buffer.from(d));
      capture.total += d.length;
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => client.write(d));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Splits the recorded stream (protocol header first) into frames: [type, channel, whole frame]. */
function frames(stream: Buffer): Buffer[] {
  const out: Buffer[] = [stream.subarray(0, 8)];
  for (let at = 8; at + 7 <= stream.length; ) {
    const size = stream.readUInt32BE(at + 3);
    out.push(stream.subarray(at, at + size + 8));
    at += size + 8;
  }
  return out;
}

/** Hex, or for a long payload of one repeated byte (a big body) 'repeat:<frame header hex>:<byte hex>'. */
function encodeFrame(f: Buffer): string {
  const p = f.subarray(7, f.length - 1);
  if (p.length > 64 && p.every((b) => b === p[0])) return `repeat:${f.subarray(0, 7).toString('hex')}:${p[0]!.toString(16).padStart(2, '0')}`;
  return f.toString('hex');
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'leveret-capture-'));
  const broker = await BrokerProcess.start(dataDir, join(tmpdir(), `leveret-capture-${process.pid}.log`));
  const capture: Capture = { bytes: [], total: 0 };
  const marks: Array<[string, number]> = [];
  const mark = (name: string): void => {
    marks.push([name, capture.total]);
  };
  try {
    const u = new URL(broker.url);
    const proxy = await recordingProxy({ host: u.hostname, port: Number(u.port) }, capture);
    const port = (proxy.address() as net.AddressInfo).port;
    mark('handshake');
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${port}`, { clientProperties: { connection_name: 'capture' } });
    mark('declare');
    const ch = await conn.createConfirmChannel();
    await ch.assertExchange('fz.cap.x', 'topic', { durable: true, arguments: { 'alternate-exchange': 'fz.cap.ae' } });
    await ch.assertQueue('fz.cap.q', {
      durable: true,
      arguments: { 'x-message-ttl': 60000, 'x-max-length': 1000, 'x-overflow': 'reject-publish', 'x-dead-letter-exchange': 'fz.cap.dlx', 'x-queue-type': 'classic' },
    });
    await ch.bindQueue('fz.cap.q', 'fz.cap.x', 'a.*', { 'x-match': 'any', n: 1 });
    mark('publish');
    ch.publish('fz.cap.x', 'a.b', Buffer.from('hello'), {
      persistent: true,
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      headers: { 'x-trace': 'abc', n: 42, f: 1.5, nested: { k: [1, 'two', true] }, when: new Date(0) },
      priority: 3,
      correlationId: 'c-1',
      replyTo: 'fz.cap.reply',
      expiration: '60000',
      messageId: 'm-1',
      timestamp: 1_700_000_000,
      type: 't',
      userId: 'guest',
      appId: 'capture',
    });
    ch.publish('', 'fz.cap.q', Buffer.alloc(200_000, 0x61), {});
    ch.publish('fz.cap.x', 'a.c', Buffer.alloc(0));
    await ch.waitForConfirms();
    mark('consume');
    await ch.prefetch(10);
    const got: amqp.ConsumeMessage[] = [];
    const { consumerTag } = await ch.consume('fz.cap.q', (m) => {
      if (m !== null) got.push(m);
    }, { arguments: { 'x-priority': 5 } });
    for (let i = 0; i < 50 && got.length < 3; i++) await sleep(20);
    if (got[0] !== undefined) ch.ack(got[0]);
    if (got[1] !== undefined) ch.nack(got[1], false, true);
    if (got[2] !== undefined) ch.reject(got[2], false);
    await ch.cancel(consumerTag);
    mark('get');
    const m = await ch.get('fz.cap.q', { noAck: false });
    if (m !== false) ch.ack(m, true);
    await ch.recover();
    mark('admin');
    const tx = await conn.createChannel();
    await tx.prefetch(1, true);
    tx.sendToQueue('fz.cap.q', Buffer.from('tx'), { headers: { a: null } });
    await tx.checkQueue('fz.cap.q');
    await tx.purgeQueue('fz.cap.q');
    await tx.unbindQueue('fz.cap.q', 'fz.cap.x', 'a.*', { 'x-match': 'any', n: 1 });
    await tx.bindExchange('fz.cap.x', 'amq.topic', '#');
    await tx.unbindExchange('fz.cap.x', 'amq.topic', '#');
    await tx.close();
    mark('delete');
    await ch.deleteQueue('fz.cap.q', { ifUnused: false, ifEmpty: false });
    await ch.deleteExchange('fz.cap.x');
    await ch.close();
    mark('close');
    await conn.close();
    await sleep(100);
    proxy.close();
  } finally {
    await broker.stop(10_000);
    rmSync(dataDir, { recursive: true, force: true });
  }
  const stream = Buffer.concat(capture.bytes);
  const all = frames(stream);
  // A frame belongs to the step during which its first byte was sent.
  const sequences: TrafficFile['sequences'] = [];
  let at = 0;
  let i = 0;
  for (let s = 0; s < marks.length; s++) {
    const [name] = marks[s]!;
    const until = s + 1 < marks.length ? marks[s + 1]![1] : Infinity;
    const seq: string[] = [];
    while (i < all.length && at < until) {
      seq.push(encodeFrame(all[i]!));
      at += all[i]!.length;
      i++;
    }
    sequences.push({ name, frames: seq });
  }
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'node_modules', 'amqplib', 'package.json'), 'utf8')) as { version: string };
  const file: TrafficFile = { capturedWith: `amqplib ${pkg.version}`, sequences };
  writeFileSync(TRAFFIC_FILE, `${JSON.stringify(file, null, 1)}\n`);
  process.stdout.write(`${all.length} frames (${stream.length} bytes) in ${sequences.length} sequences -> ${TRAFFIC_FILE}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`capture: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
