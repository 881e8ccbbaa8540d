/**
 * Issue 16, TLS: AMQPS and HTTPS against an in-process Leveret, with throwaway certificates made by `openssl` at test
 * time (support/tls-certs.ts). RabbitMQ's behaviour is the reference (ssl_options, verify_peer,
 * fail_if_no_peer_cert, rabbitmq_auth_mechanism_ssl with ssl_cert_login_from = common_name):
 *
 * - amqplib over amqps:// trusting the CA: a publish and consume round trip; /api/connections shows the TLS session;
 * - a client that trusts another CA, and a server certificate that has expired, are refused by the client;
 * - verify_peer: a client certificate naming an existing user logs in with EXTERNAL (offered only there); a
 *   certificate naming no user is refused with ACCESS_REFUSED; an expired client certificate is refused;
 * - fail_if_no_peer_cert: a client without a certificate is refused;
 * - plain AMQP sent to the TLS port: the socket closes, one warn line, the broker goes on;
 * - TLS 1.3 and 1.2 are served (openssl s_client), TLS 1.1 is refused by the server;
 * - the management API over HTTPS; the plain listeners can be off.
 */
import * as amqp from 'amqplib';
import { execFile } from 'node:child_process';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect } from 'node:net';
import { LogLines } from '../../src/test-support/log-lines';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { startBroker, type BrokerOptions, type RunningBroker } from '../../src/broker';
import { createLogger } from '../../src/observability/logger';
import { PROTOCOL_HEADER } from '../../src/protocol/frames';
import { eventually } from '../support/broker';
import { makePki, removePki, type KeyPair, type Pki } from '../support/tls-certs';


const GUEST = `Basic ${Buffer.from('guest:guest').toString('base64')}`;
const HANDSHAKE_FAILED = 'AMQPS connection refused: TLS handshake failed';

let pki: Pki;
const brokers: RunningBroker[] = [];
const clients: amqp.ChannelModel[] = [];

beforeAll(() => {
  pki = makePki();
});
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => undefined);
  for (const b of brokers.splice(0)) await b.close();
});
afterAll(() => removePki(pki));

async function start(log: LogLines, tls: BrokerOptions['tls'] = {}, extra: BrokerOptions = {}): Promise<RunningBroker> {
  const broker = await startBroker({
    port: 0,
    amqp: { bind: ['127.0.0.1'] },
    http: { bind: ['127.0.0.1'] },
    tls: { cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert, ...tls },
    logger: createLogger({ level: 'info', destination: log }),
    ...extra,
  });
  brokers.push(broker);
  return broker;
}

function amqpsUrl(broker: RunningBroker, user = 'guest:guest@'): string {
  return `amqps://${user}127.0.0.1:${broker.amqpsPort}`;
}

async function connectTls(broker: RunningBroker, options: { ca?: KeyPair | string; client?: KeyPair; external?: boolean } = {}): Promise<amqp.ChannelModel> {
  const ca = options.ca === undefined ? pki.ca.cert : typeof options.ca === 'string' ? options.ca : options.ca.cert;
  const conn = await amqp.connect(amqpsUrl(broker, options.external === true ? '' : 'guest:guest@'), {
    ca: [pki.read(ca)],
    ...(options.client === undefined ? {} : { cert: pki.read(options.client.cert), key: pki.read(options.client.key) }),
    ...(options.external === true ? { credentials: amqp.credentials.external() } : {}),
  });
  conn.on('error', () => undefined);
  clients.push(conn);
  return conn;
}

async function api(broker: RunningBroker, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${broker.httpUrl}/api${path}`, {
    method,
    headers: { authorization: GUEST, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text === '' ? undefined : JSON.parse(text) };
}

async function addUser(broker: RunningBroker, name: string): Promise<void> {
  expect((await api(broker, 'PUT', `/users/${name}`, { password: 'not-used-here', tags: '' })).status).toBe(201);
  expect((await api(broker, 'PUT', `/permissions/%2F/${name}`, { configure: '.*', write: '.*', read: '.*' })).status).toBe(201);
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

/** The mechanisms of connection.start, read from the raw bytes the server sends after the protocol header. */
async function offeredMechanisms(port: number, client?: KeyPair): Promise<string> {
  const socket = tlsConnect({
    host: '127.0.0.1',
    port,
    ca: [pki.read(pki.ca.cert)],
    ...(client === undefined ? {} : { cert: pki.read(client.cert), key: pki.read(client.key) }),
  });
  try {
    await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    socket.write(PROTOCOL_HEADER);
    const text = await new Promise<string>((resolve) => {
      let seen = '';
      socket.on('data', (chunk: Buffer) => {
        seen += chunk.toString('latin1');
        if (seen.includes('en_US')) resolve(seen);
      });
    });
    return /(PLAIN[A-Z ]*)/.exec(text)?.[1] ?? '';
  } finally {
    socket.destroy();
  }
}

describe('AMQPS with the CA trusted', () => {
  test('publish and consume over amqps://; the connection shows its TLS session as RabbitMQ does', async () => {
    const log = new LogLines();
    const broker = await start(log);
    expect(broker.amqpsPort).toBeGreaterThan(0);
    expect(broker.amqpsUrl).toBe(`amqps://guest:guest@127.0.0.1:${broker.amqpsPort}`);
    const conn = await connectTls(broker);
    expect(await roundTrip(conn, 'over tls')).toBe('over tls');

    const { json } = await api(broker, 'GET', '/connections');
    const connections = json as Array<Record<string, unknown>>;
    expect(connections).toHaveLength(1);
    expect(connections[0]).toMatchObject({
      port: broker.amqpsPort,
      ssl: true,
      ssl_protocol: 'tlsv1.3',
      ssl_key_exchange: 'any',
      ssl_hash: 'aead',
      auth_mechanism: 'PLAIN',
      user: 'guest',
      // No client certificate was asked for.
      peer_cert_subject: null,
      peer_cert_issuer: null,
      peer_cert_validity: null,
    });
    expect(connections[0]!['ssl_cipher']).toMatch(/^(aes_(128|256)_gcm|chacha20_poly1305)$/);
    // The plain port still works and says so.
    const plain = await amqp.connect(broker.url);
    clients.push(plain);
    const listed = ((await api(broker, 'GET', '/connections')).json as Array<Record<string, unknown>>).find((c) => c.port === broker.port);
    expect(listed).toMatchObject({ ssl: false, ssl_protocol: null, peer_cert_subject: null });
    const overview = (await api(broker, 'GET', '/overview')).json as { listeners: Array<{ protocol: string; port: number }> };
    expect((await api(broker, 'GET', `/health/checks/port-listener/${broker.amqpsPort}`)).status).toBe(200);
    expect(await api(broker, 'GET', '/health/checks/protocol-listener/amqps')).toEqual({ status: 200, json: { status: 'ok', protocol: 'amqps' } });
    expect(overview.listeners.map((l) => [l.protocol, l.port])).toEqual([
      ['amqp', broker.port],
      ['amqp/ssl', broker.amqpsPort],
    ]);
  });

  test('the certificate-expiration health check looks at the certificate in use (30 days here)', async () => {
    const broker = await start(new LogLines());
    expect(await api(broker, 'GET', '/health/checks/certificate-expiration/3/weeks')).toEqual({ status: 200, json: { status: 'ok' } });
    const soon = await api(broker, 'GET', '/health/checks/certificate-expiration/2/months');
    expect(soon.status).toBe(503);
    expect(soon.json).toMatchObject({
      status: 'failed',
      reason: 'Certificates expiring',
      expired: [{ protocol: 'amqp/ssl', port: broker.amqpsPort, subject: 'O=Leveret tests, CN=localhost' }],
    });
  });

  test('EXTERNAL is not offered without a verified client certificate', async () => {
    const broker = await start(new LogLines());
    expect(await offeredMechanisms(broker.amqpsPort)).toBe('PLAIN AMQPLAIN');
    await expect(connectTls(broker, { external: true })).rejects.toThrow(/EXTERNAL/);
  });

  test('a client that trusts another CA refuses the server; so does one given an expired server certificate', async () => {
    const log = new LogLines();
    const broker = await start(log);
    await expect(connectTls(broker, { ca: pki.otherCa })).rejects.toMatchObject({ code: expect.stringMatching(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED/) });
    const expired = await start(log, { cert: pki.expiredServer.cert, key: pki.expiredServer.key });
    await expect(connectTls(expired)).rejects.toMatchObject({ code: 'CERT_HAS_EXPIRED' });
    expect(log.lines.some((l) => l.msg === 'the TLS certificate has expired; clients will refuse it')).toBe(true);
    // The refusals were the clients'; the broker still serves a client that trusts it.
    expect(await roundTrip(await connectTls(broker), 'still here')).toBe('still here');
  });
});

describe('client certificates (verify_peer)', () => {
  test('a certificate naming an existing user logs in with EXTERNAL, without a password', async () => {
    const broker = await start(new LogLines(), { verifyPeer: true });
    await addUser(broker, 'alice');
    const alice = pki.client('alice');
    expect(await offeredMechanisms(broker.amqpsPort, alice)).toBe('PLAIN AMQPLAIN EXTERNAL');
    const conn = await connectTls(broker, { client: alice, external: true });
    expect(await roundTrip(conn, 'as alice')).toBe('as alice');
    const [info] = (await api(broker, 'GET', '/connections')).json as Array<Record<string, unknown>>;
    expect(info).toMatchObject({
      user: 'alice',
      auth_mechanism: 'EXTERNAL',
      ssl: true,
      peer_cert_subject: 'CN=alice,O=Leveret tests',
      peer_cert_issuer: 'CN=Leveret Test CA,O=Leveret tests',
    });
    expect(info!['peer_cert_validity']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ - \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // PLAIN still works on the same connection kind, and a client without a certificate may still connect.
    expect(await roundTrip(await connectTls(broker, { client: alice }), 'plain login')).toBe('plain login');
    expect(await roundTrip(await connectTls(broker), 'no cert')).toBe('no cert');
  });

  test('a certificate naming no user is refused with ACCESS_REFUSED and one log line', async () => {
    const log = new LogLines();
    const broker = await start(log, { verifyPeer: true });
    await expect(connectTls(broker, { client: pki.client('mallory'), external: true })).rejects.toThrow(
      'ACCESS_REFUSED - Login was refused using authentication mechanism EXTERNAL. For details see the broker logfile.',
    );
    const refused = log.lines.filter((l) => l.mechanism === 'EXTERNAL');
    expect(refused).toEqual([expect.objectContaining({ user: 'mallory', reason: 'no such user', level: 40 })]);
  });

  test('an expired client certificate, or one from another CA, is refused by the broker', async () => {
    const log = new LogLines();
    const broker = await start(log, { verifyPeer: true });
    await addUser(broker, 'alice');
    const expired = pki.client('alice', { startDate: '20200101000000Z', endDate: '20200102000000Z', file: 'expired-alice' });
    await expect(connectTls(broker, { client: expired, external: true })).rejects.toThrow();
    const foreign = pki.client('alice', { ca: pki.otherCa, file: 'foreign-alice' });
    await expect(connectTls(broker, { client: foreign, external: true })).rejects.toThrow();
    await eventually(() => log.withMessage(HANDSHAKE_FAILED).length >= 1, 3000, 'the refusal logged');
    expect(log.withMessage(HANDSHAKE_FAILED)[0]).toMatchObject({ code: 'CLIENT_CERTIFICATE_REFUSED', error: 'CERT_HAS_EXPIRED' });
    expect(log.lines.filter((l) => l.msg === 'connection opened')).toHaveLength(0);
  });

  test('fail_if_no_peer_cert refuses a client without a certificate, and takes one with', async () => {
    const log = new LogLines();
    const broker = await start(log, { verifyPeer: true, failIfNoPeerCert: true });
    await expect(connectTls(broker)).rejects.toThrow();
    await eventually(() => log.withMessage(HANDSHAKE_FAILED).length === 1, 3000, 'the refusal logged');
    expect(log.withMessage(HANDSHAKE_FAILED)[0]!['error']).toMatch(/certificate/i);
    expect(await roundTrip(await connectTls(broker, { client: pki.client('guest') }), 'with cert')).toBe('with cert');
  });
});

describe('what reaches the TLS port', () => {
  test('plain AMQP sent to the TLS port: the socket closes, one warn line, and the broker goes on', async () => {
    const log = new LogLines();
    const broker = await start(log);
    const socket = netConnect(broker.amqpsPort, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write(PROTOCOL_HEADER);
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    // Whatever came back (a TLS alert at most) is not an AMQP protocol header.
    expect(Buffer.concat(received).includes(Buffer.from('AMQP'))).toBe(false);
    await eventually(() => log.withMessage(HANDSHAKE_FAILED).length === 1, 3000, 'one warn line');
    expect(log.withMessage(HANDSHAKE_FAILED)[0]).toMatchObject({ level: 40, peer: '127.0.0.1', count: 1 });
    expect(await roundTrip(await connectTls(broker), 'after garbage')).toBe('after garbage');
  });

  test('connection_max counts AMQPS sockets at accept, before their handshake', async () => {
    const log = new LogLines();
    const broker = await start(log, {}, { connectionMax: 1 });
    const first = await connectTls(broker);
    await expect(connectTls(broker)).rejects.toThrow();
    await eventually(() => log.withMessage('AMQP connection refused: connection_max reached').length === 1, 3000, 'the refusal logged');
    // The refusal is the gate's: no handshake failure is reported for it.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(log.withMessage(HANDSHAKE_FAILED)).toEqual([]);
    expect(await roundTrip(first, 'the first stays')).toBe('the first stays');
  });

  test('a socket in its TLS handshake counts against unauthenticatedConnectionMax; an open AMQPS connection does not', async () => {
    const log = new LogLines();
    const broker = await start(log, {}, { unauthenticatedConnectionMax: 1 });
    // Open (AMQP connection.open done) connections no longer count: a second and third connect one after the other.
    const first = await connectTls(broker);
    const second = await connectTls(broker);
    // A TCP connection that never starts its TLS handshake holds the one place.
    const idle = netConnect(broker.amqpsPort, '127.0.0.1');
    idle.on('error', () => undefined);
    await new Promise<void>((resolve) => idle.once('connect', resolve));
    await eventually(async () => {
      const refused = await connectTls(broker).then(
        () => false,
        () => true,
      );
      return refused && log.withMessage('AMQP connection refused: too many connections still in their handshake').length >= 1;
    }, 3000, 'a refusal while the idle socket handshakes');
    idle.destroy();
    await eventually(async () => connectTls(broker).then(() => true, () => false), 3000, 'a connection once the idle socket left');
    expect(await roundTrip(first, 'first')).toBe('first');
    expect(await roundTrip(second, 'second')).toBe('second');
  });

  test('openssl s_client sees TLS 1.3 by default and may use TLS 1.2; the server refuses TLS 1.1', async () => {
    const broker = await start(new LogLines());
    const sClient = async (...flags: string[]): Promise<string> => {
      const { stdout, stderr } = await promisify(execFile)(
        'sh',
        ['-c', `openssl s_client -connect 127.0.0.1:${broker.amqpsPort} -CAfile '${pki.ca.cert}' -brief ${flags.join(' ')} </dev/null`],
        { timeout: 5000 },
      );
      return stdout + stderr;
    };
    const v13 = await sClient();
    expect(v13).toMatch(/Protocol version: TLSv1\.3/);
    expect(v13).toMatch(/Verification: OK/);
    expect(await sClient('-tls1_2')).toMatch(/Protocol version: TLSv1\.2/);
    // TLS 1.1 through node (Debian's openssl CLI will not even offer it): the client lowers its own security level,
    // so what refuses is the server's minimum version, answered with a protocol_version alert.
    const old = tlsConnect({
      host: '127.0.0.1',
      port: broker.amqpsPort,
      minVersion: 'TLSv1.1',
      maxVersion: 'TLSv1.1',
      ciphers: 'DEFAULT@SECLEVEL=0',
      rejectUnauthorized: false,
    });
    const err = await new Promise<NodeJS.ErrnoException>((resolve) => {
      old.once('error', resolve);
      old.once('secureConnect', () => resolve(Object.assign(new Error(`negotiated ${(old as TLSSocket).getProtocol()}`), { code: 'NEGOTIATED' })));
    });
    old.destroy();
    expect(err.code).toBe('ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');
  });
});

function overHttps(url: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: string; cookie: string[] }> {
  return new Promise((resolve, reject) => {
    const body = init.body === undefined ? undefined : JSON.stringify(init.body);
    const req = httpsRequest(
      url,
      {
        method: init.method ?? 'GET',
        ca: pki.read(pki.ca.cert),
        headers: { authorization: GUEST, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, cookie: res.headers['set-cookie'] ?? [] }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('HTTPS and listeners turned off', () => {
  test('the session cookie is Secure over HTTPS only', async () => {
    const broker = await start(new LogLines());
    const login = { method: 'POST', body: { username: 'guest', password: 'guest' } };
    const secure = await overHttps(`${broker.httpsUrl}/api/leveret/session`, login);
    expect(secure.status).toBe(204);
    expect(secure.cookie.join()).toMatch(/HttpOnly; SameSite=Strict; Max-Age=\d+; Secure$/);
    const plain = await fetch(`${broker.httpUrl}/api/leveret/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(login.body),
    });
    expect(plain.status).toBe(204);
    expect(plain.headers.get('set-cookie')).not.toMatch(/Secure/);
  });

  test('GET /api/overview over HTTPS with the CA; plain AMQP and HTTP off', async () => {
    const off = { bind: ['127.0.0.1'], port: 'off' as const };
    const broker = await start(new LogLines(), {}, { port: undefined, amqp: off, http: off, amqps: { port: 0 }, https: { port: 0 } });
    expect(broker.port).toBe(0);
    expect(broker.addresses).toEqual([]);
    expect(broker.httpAddresses).toEqual([]);
    expect(broker.httpUrl).toBe(`https://127.0.0.1:${broker.httpsPort}`);
    expect(broker.url).toBe(broker.amqpsUrl);
    const { status, body } = await overHttps(`${broker.httpsUrl}/api/overview`);
    expect(status).toBe(200);
    const overview = JSON.parse(body) as { listeners: Array<{ protocol: string; port: number }> };
    expect(overview.listeners).toEqual([expect.objectContaining({ protocol: 'amqp/ssl', port: broker.amqpsPort })]);
    const health = (name: string) => overHttps(`${broker.httpsUrl}/api/health/checks/protocol-listener/${name}`);
    expect((await health('amqps')).status).toBe(200);
    expect(JSON.parse((await health('amqp')).body)).toMatchObject({ status: 'failed', protocols: ['amqps', 'http'] });
    expect(await roundTrip(await connectTls(broker), 'tls only')).toBe('tls only');
  });
});
