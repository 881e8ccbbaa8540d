/**
 * The ha-test's TCP forwarder (forwarder.ts) against a plain TCP echo server: pass, both partition styles, what a
 * heal does to the connections that lived through the partition, and a close during a partition.
 */
import net from 'node:net';
import { startForwarder, type Forwarder } from './forwarder';

let echo: net.Server;
let echoPort: number;
const echoSockets = new Set<net.Socket>();
const forwarders: Forwarder[] = [];
const clients: net.Socket[] = [];

beforeAll(async () => {
  echo = net.createServer((s) => {
    echoSockets.add(s);
    s.on('close', () => echoSockets.delete(s));
    s.on('error', () => {});
    s.pipe(s);
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', () => resolve()));
  echoPort = (echo.address() as net.AddressInfo).port;
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  for (const f of forwarders.splice(0)) await f.close();
});

afterAll(async () => {
  for (const s of echoSockets) s.destroy();
  await new Promise<void>((resolve) => echo.close(() => resolve()));
});

async function forwarder(): Promise<Forwarder> {
  const f = await startForwarder(echoPort);
  forwarders.push(f);
  return f;
}

interface Client {
  socket: net.Socket;
  received(): string;
  closed: Promise<void>;
  isClosed(): boolean;
}

async function connect(port: number): Promise<Client> {
  const socket = net.connect(port, '127.0.0.1');
  clients.push(socket);
  let data = '';
  let closed = false;
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (data += d));
  socket.on('error', () => {});
  const closedP = new Promise<void>((resolve) =>
    socket.once('close', () => {
      closed = true;
      resolve();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  return { socket, received: () => data, closed: closedP, isClosed: () => closed };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

test('pass: bytes go through both ways, in order', async () => {
  const f = await forwarder();
  const c = await connect(f.port);
  c.socket.write('hello ');
  c.socket.write('world');
  await until('the echo', () => c.received() === 'hello world');
  expect(f.stats()).toMatchObject({ accepted: 1, open: 1, droppedBytes: 0 });
});

test("partition 'drop': bytes vanish both ways, sockets stay open, new connections are blackholed, heal resets what lost bytes", async () => {
  const f = await forwarder();
  const quiet = await connect(f.port);
  const busy = await connect(f.port);
  busy.socket.write('a');
  await until('the first echo', () => busy.received() === 'a');

  f.partition('drop');
  busy.socket.write('lost');
  const during = await connect(f.port); // accepted, never connected upstream
  during.socket.write('nobody hears this');
  await sleep(300);
  expect(busy.received()).toBe('a');
  expect(during.received()).toBe('');
  expect(busy.isClosed() || quiet.isClosed() || during.isClosed()).toBe(false);
  expect(f.stats().droppedBytes).toBe('lost'.length + 'nobody hears this'.length);

  f.heal();
  // A stream with a hole must not carry on: both connections that lost bytes are reset.
  await Promise.all([busy.closed, during.closed]);
  // The quiet one lost nothing and goes on.
  quiet.socket.write('still here');
  await until('the quiet connection to echo', () => quiet.received() === 'still here');
  const after = await connect(f.port);
  after.socket.write('fresh');
  await until('a new connection to echo', () => after.received() === 'fresh');
  expect(f.stats().resetAtHeal).toBe(2);
});

test("partition 'hold': nothing flows until heal, then everything arrives in order on the same connection", async () => {
  const f = await forwarder();
  const c = await connect(f.port);
  c.socket.write('1');
  await until('the first echo', () => c.received() === '1');
  f.partition('hold');
  c.socket.write('2');
  c.socket.write('3');
  const during = await connect(f.port);
  during.socket.write('x');
  await sleep(300);
  expect(c.received()).toBe('1');
  expect(during.received()).toBe('');
  f.heal();
  await until('the held bytes', () => c.received() === '123' && during.received() === 'x');
  expect(c.isClosed()).toBe(false);
  expect(f.stats()).toMatchObject({ droppedBytes: 0, resetAtHeal: 0 });
});

test('a close on the server side during a partition reaches the client only at heal', async () => {
  const f = await forwarder();
  const c = await connect(f.port);
  c.socket.write('x');
  await until('the echo', () => c.received() === 'x');
  f.partition('drop');
  for (const s of echoSockets) s.destroy();
  await sleep(300);
  expect(c.isClosed()).toBe(false);
  f.heal();
  await c.closed;
});

test('pass: a server that closes closes the client; an unreachable server resets the client', async () => {
  const f = await forwarder();
  const c = await connect(f.port);
  c.socket.write('x');
  await until('the echo', () => c.received() === 'x');
  for (const s of echoSockets) s.end();
  await c.closed;

  const dead = await startForwarder(1); // nothing listens on port 1
  forwarders.push(dead);
  const d = await connect(dead.port);
  await d.closed;
  await until('the pair to be forgotten', () => dead.stats().open === 0);
});
