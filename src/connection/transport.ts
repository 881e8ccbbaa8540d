import type { Duplex } from 'node:stream';

/**
 * The byte stream a connection runs over: a net.Socket in production, any Duplex (an in-memory pair)
 * in unit tests.
 */
export type Transport = Duplex & {
  readonly remoteAddress?: string;
  readonly remotePort?: number;
  readonly localAddress?: string;
  readonly localPort?: number;
  /** net.Socket's byte counts (recv_oct / send_oct); absent on in-memory pairs. */
  readonly bytesRead?: number;
  readonly bytesWritten?: number;
  setNoDelay?(noDelay: boolean): unknown;
};
