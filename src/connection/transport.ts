import type { Duplex } from 'node:stream';
import type { TlsSessionSource } from '../tls/peer';

/**
 * The byte stream a connection runs over: a net.Socket or a tls.TLSSocket (AMQPS) in production, any Duplex (an
 * in-memory pair) in unit tests. A TLSSocket adds what TlsSessionSource names (protocol, cipher, peer certificate).
 */
export type Transport = Duplex & TlsSessionSource & {
  readonly remoteAddress?: string;
  readonly remotePort?: number;
  readonly localAddress?: string;
  readonly localPort?: number;
  /** net.Socket's byte counts (recv_oct / send_oct); absent on in-memory pairs. */
  readonly bytesRead?: number;
  readonly bytesWritten?: number;
  setNoDelay?(noDelay: boolean): unknown;
};
