/**
 * What a TLS session tells about itself and its peer, in RabbitMQ's terms: the protocol ("tlsv1.3"), the cipher
 * suite split into key exchange, cipher and hash as Erlang's ssl reports them, and the client certificate's subject,
 * issuer and validity formatted as RabbitMQ's rabbit_cert_info does ("CN=alice,O=Example", most specific RDN first).
 * Read when the management API asks, and once per EXTERNAL login; never per message.
 */
import type { X509Certificate } from 'node:crypto';

/** The parts of a tls.TLSSocket read here (a net.Socket has none of them). */
export interface TlsSessionSource {
  readonly encrypted?: boolean;
  readonly authorized?: boolean;
  getProtocol?(): string | null;
  getCipher?(): { name: string; standardName?: string; version: string };
  getPeerX509Certificate?(): X509Certificate | undefined;
}

export interface TlsSessionInfo {
  /** "tlsv1.3", "tlsv1.2". */
  readonly protocol: string;
  /** "ecdhe_rsa", or "any" for TLS 1.3 suites. */
  readonly keyExchange: string;
  /** "aes_256_gcm", "chacha20_poly1305". */
  readonly cipher: string;
  /** "aead" for AEAD ciphers, else the MAC's hash ("sha256", "sha"). */
  readonly hash: string;
  /** The client certificate's subject, issuer and "from - to" validity; null when the client sent none. */
  readonly peerCertSubject: string | null;
  readonly peerCertIssuer: string | null;
  readonly peerCertValidity: string | null;
}

/** The session of a TLS socket; undefined for a plain one. */
export function tlsSession(socket: TlsSessionSource): TlsSessionInfo | undefined {
  if (socket.encrypted !== true || socket.getCipher === undefined) return undefined;
  const cipher = socket.getCipher();
  const suite = splitSuite(cipher.standardName ?? cipher.name);
  const cert = socket.getPeerX509Certificate?.();
  return {
    protocol: (socket.getProtocol?.() ?? cipher.version).toLowerCase(),
    ...suite,
    peerCertSubject: cert === undefined ? null : distinguishedName(cert.subject),
    peerCertIssuer: cert === undefined ? null : distinguishedName(cert.issuer),
    peerCertValidity: cert === undefined ? null : `${asnTime(cert.validFrom)} - ${asnTime(cert.validTo)}`,
  };
}

/**
 * The user an EXTERNAL login names: the verified client certificate's subject CN (or whole DN); undefined when the
 * socket is not TLS, the certificate was not verified against the CA, or there is none (or no CN in it).
 */
export function certificateLogin(socket: TlsSessionSource, from: 'common_name' | 'distinguished_name'): string | undefined {
  if (socket.encrypted !== true || socket.authorized !== true) return undefined;
  const cert = socket.getPeerX509Certificate?.();
  if (cert === undefined) return undefined;
  if (from === 'distinguished_name') return distinguishedName(cert.subject);
  return commonName(cert.subject);
}

/** Whether EXTERNAL may be offered: a TLS socket whose client certificate was verified. */
export function hasVerifiedPeer(socket: TlsSessionSource): boolean {
  return socket.encrypted === true && socket.authorized === true && socket.getPeerX509Certificate?.() !== undefined;
}

/** Node's multi-line name ("C=GB\nO=Example\nCN=alice", in certificate order) as RFC 4514: "CN=alice,O=Example,C=GB". */
export function distinguishedName(nodeName: string): string {
  return nodeName
    .split('\n')
    .filter((line) => line !== '')
    .reverse()
    .join(',');
}

/** The last CN of the subject (the most specific one). */
export function commonName(nodeName: string): string | undefined {
  let cn: string | undefined;
  for (const line of nodeName.split('\n')) if (line.startsWith('CN=')) cn = line.slice(3);
  return cn;
}

/** "Jan  1 00:00:00 2030 GMT" -> "2030-01-01T00:00:00Z". */
function asnTime(text: string): string {
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? text : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const AEAD = /GCM|CCM|POLY1305/;

/**
 * An IANA suite name in Erlang's terms: TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 -> ecdhe_rsa, aes_256_gcm, aead;
 * TLS 1.3's TLS_AES_128_GCM_SHA256 -> any, aes_128_gcm, aead. Unknown shapes are passed through lower-cased.
 */
export function splitSuite(standardName: string): { keyExchange: string; cipher: string; hash: string } {
  const name = standardName.replace(/^TLS_/, '');
  const withAt = name.indexOf('_WITH_');
  const keyExchange = withAt < 0 ? 'any' : name.slice(0, withAt).toLowerCase();
  const rest = withAt < 0 ? name : name.slice(withAt + 6);
  const hashAt = rest.lastIndexOf('_');
  const hashPart = hashAt < 0 ? '' : rest.slice(hashAt + 1);
  const isHash = /^(SHA\d*|MD5)$/.test(hashPart);
  const cipher = (isHash ? rest.slice(0, hashAt) : rest).toLowerCase();
  const hash = AEAD.test(rest) ? 'aead' : isHash ? hashPart.toLowerCase() : 'unknown';
  return { keyExchange, cipher, hash };
}
