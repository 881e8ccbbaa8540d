/**
 * SASL EXTERNAL (issue 16, RabbitMQ's rabbitmq_auth_mechanism_ssl): real Connections over in-memory socket pairs whose
 * server side carries what a tls.TLSSocket tells (encrypted, authorized, the peer certificate).
 *
 * - connection.start offers EXTERNAL (last) only on a TLS socket with a verified client certificate;
 * - there, EXTERNAL logs in the user the certificate's CN names, whatever the response holds, with no password;
 * - a CN naming no user is refused (one warn line, ACCESS_REFUSED for authentication_failure_close clients);
 * - asking for EXTERNAL where it was not offered (plain socket, unverified certificate) is an unsupported mechanism.
 */
import type { X509Certificate } from 'node:crypto';
import { LogLines } from '../test-support/log-lines';
import { createLogger } from '../observability/logger';
import { PROTOCOL_HEADER } from '../protocol/frames';
import { MethodId, encodeMethodFrame } from '../protocol/generated/amqp';
import type { TlsSessionSource } from '../tls/peer';
import { Connection } from './connection';
import { duplexPair } from './test-support/duplex-pair';
import { TestBroker, decodeFrames, settle } from './test-support/harness';


const REFUSED = 'ACCESS_REFUSED - Login was refused using authentication mechanism EXTERNAL. For details see the broker logfile.';

function certificate(cn: string): X509Certificate {
  return { subject: `O=Example\nCN=${cn}`, issuer: 'CN=Example CA', validFrom: 'Jan  1 00:00:00 2030 GMT', validTo: 'Jan  1 00:00:00 2031 GMT' } as X509Certificate;
}

/** A client over a socket pair whose server side looks like TLS as `tls` says; sends the header and one start-ok. */
async function attempt(tls: TlsSessionSource | undefined, mechanism: string, broker = new TestBroker({ users: ['guest', 'alice'], confirmChannelOpen: false })) {
  const log = new LogLines();
  const { client, server } = duplexPair('192.0.2.10', 40000);
  if (tls !== undefined) Object.assign(server, tls);
  const chunks: Buffer[] = [];
  client.on('data', (chunk: Buffer) => chunks.push(Buffer.from(chunk)));
  new Connection(server, { ...broker.context, logger: createLogger({ level: 'info', destination: log }) });
  client.write(
    Buffer.concat([
      PROTOCOL_HEADER,
      encodeMethodFrame(0, MethodId.ConnectionStartOk, {
        clientProperties: { capabilities: { authentication_failure_close: true } },
        mechanism,
        // Ignored by EXTERNAL, as in RabbitMQ: the certificate is the proof.
        response: Buffer.from('\0guest\0guest'),
        locale: 'en_US',
      }),
    ]),
  );
  await settle();
  const frames = decodeFrames(Buffer.concat(chunks));
  const start = frames[0]?.args as { mechanisms: Buffer } | undefined;
  return {
    mechanisms: start?.mechanisms.toString() ?? '',
    answers: frames.slice(1).map((f) => f.method),
    close: frames.find((f) => f.method === 'connection.close')?.args as { replyCode: number; replyText: string } | undefined,
    warnings: log.lines.filter((l) => (l.level as number) >= 40),
  };
}

const verified = (cn: string): TlsSessionSource => ({ encrypted: true, authorized: true, getPeerX509Certificate: () => certificate(cn) });

test('offered last, and only with a verified client certificate', async () => {
  expect((await attempt(undefined, 'PLAIN')).mechanisms).toBe('PLAIN AMQPLAIN');
  expect((await attempt({ encrypted: true, authorized: false, getPeerX509Certificate: () => undefined }, 'PLAIN')).mechanisms).toBe('PLAIN AMQPLAIN');
  expect((await attempt({ encrypted: true, authorized: false, getPeerX509Certificate: () => certificate('alice') }, 'PLAIN')).mechanisms).toBe(
    'PLAIN AMQPLAIN',
  );
  expect((await attempt(verified('alice'), 'PLAIN')).mechanisms).toBe('PLAIN AMQPLAIN EXTERNAL');
});

test("logs in the user the certificate's CN names, without a password", async () => {
  const result = await attempt(verified('alice'), 'EXTERNAL');
  expect(result.answers).toEqual(['connection.tune']);
  expect(result.warnings).toEqual([]);
});

test('a CN naming no user is refused with one warn line', async () => {
  const result = await attempt(verified('mallory'), 'EXTERNAL');
  expect(result.close).toMatchObject({ replyCode: 403, replyText: REFUSED });
  expect(result.warnings).toEqual([expect.objectContaining({ msg: 'login refused', mechanism: 'EXTERNAL', user: 'mallory', reason: 'no such user' })]);
});

test('EXTERNAL where it was not offered is an unsupported mechanism', async () => {
  for (const tls of [undefined, { encrypted: true, authorized: false, getPeerX509Certificate: () => certificate('alice') }]) {
    const result = await attempt(tls, 'EXTERNAL');
    expect(result.answers).not.toContain('connection.tune');
    expect(result.warnings).toEqual([
      expect.objectContaining({ msg: 'closing connection', code: 403, text: "ACCESS_REFUSED - unsupported authentication mechanism 'EXTERNAL'" }),
    ]);
  }
});
