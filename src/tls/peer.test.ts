import { commonName, distinguishedName, splitSuite, tlsSession, certificateLogin, hasVerifiedPeer } from './peer';

describe("a cipher suite in Erlang's terms (RabbitMQ's ssl_key_exchange, ssl_cipher, ssl_hash)", () => {
  test.each([
    ['TLS_AES_256_GCM_SHA384', 'any', 'aes_256_gcm', 'aead'],
    ['TLS_CHACHA20_POLY1305_SHA256', 'any', 'chacha20_poly1305', 'aead'],
    ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'ecdhe_rsa', 'aes_128_gcm', 'aead'],
    ['TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384', 'ecdhe_ecdsa', 'aes_256_cbc', 'sha384'],
    ['TLS_RSA_WITH_AES_128_CBC_SHA', 'rsa', 'aes_128_cbc', 'sha'],
  ])('%s -> %s, %s, %s', (suite, keyExchange, cipher, hash) => {
    expect(splitSuite(suite)).toEqual({ keyExchange, cipher, hash });
  });
});

describe('certificate names', () => {
  const subject = 'C=GB\nO=Example\nOU=Brokers\nCN=alice';
  test('the DN reads most specific first, as RFC 4514 and RabbitMQ write it', () => {
    expect(distinguishedName(subject)).toBe('CN=alice,OU=Brokers,O=Example,C=GB');
  });
  test('the CN is the last (most specific) one; none without a CN', () => {
    expect(commonName(subject)).toBe('alice');
    expect(commonName('CN=outer\nCN=inner')).toBe('inner');
    expect(commonName('O=Example')).toBeUndefined();
  });
});

describe('what a socket tells', () => {
  const cert = { subject: 'O=Example\nCN=alice', issuer: 'CN=Example CA', validFrom: 'Jan  1 00:00:00 2030 GMT', validTo: 'Feb  1 12:30:00 2030 GMT' };
  const tlsSocket = (authorized: boolean, withCert = true) => ({
    encrypted: true,
    authorized,
    getProtocol: () => 'TLSv1.3',
    getCipher: () => ({ name: 'TLS_AES_128_GCM_SHA256', standardName: 'TLS_AES_128_GCM_SHA256', version: 'TLSv1.3' }),
    getPeerX509Certificate: () => (withCert ? (cert as never) : undefined),
  });

  test('a plain socket has no TLS session and offers no EXTERNAL', () => {
    expect(tlsSession({})).toBeUndefined();
    expect(hasVerifiedPeer({})).toBe(false);
    expect(certificateLogin({}, 'common_name')).toBeUndefined();
  });

  test('a TLS session with a peer certificate', () => {
    expect(tlsSession(tlsSocket(true))).toEqual({
      protocol: 'tlsv1.3',
      keyExchange: 'any',
      cipher: 'aes_128_gcm',
      hash: 'aead',
      peerCertSubject: 'CN=alice,O=Example',
      peerCertIssuer: 'CN=Example CA',
      peerCertValidity: '2030-01-01T00:00:00Z - 2030-02-01T12:30:00Z',
    });
    expect(tlsSession(tlsSocket(true, false))).toMatchObject({ peerCertSubject: null, peerCertIssuer: null, peerCertValidity: null });
  });

  test('EXTERNAL only with a certificate verified against the CA; the user by CN or by DN', () => {
    expect(hasVerifiedPeer(tlsSocket(true))).toBe(true);
    expect(certificateLogin(tlsSocket(true), 'common_name')).toBe('alice');
    expect(certificateLogin(tlsSocket(true), 'distinguished_name')).toBe('CN=alice,O=Example');
    expect(hasVerifiedPeer(tlsSocket(false))).toBe(false);
    expect(certificateLogin(tlsSocket(false), 'common_name')).toBeUndefined();
    expect(hasVerifiedPeer(tlsSocket(true, false))).toBe(false);
  });
});
