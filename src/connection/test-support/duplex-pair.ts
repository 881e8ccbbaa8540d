import { Duplex } from 'node:stream';

/**
 * One end of an in-memory socket pair. Bytes written here are pushed, synchronously and chunk by chunk,
 * into the peer's readable side; ending the writable side ends the peer's readable side. Like a TCP socket
 * accepted by net.Server, it is not half-open: when the peer ends, this side ends too, and 'close' follows.
 */
export class PairSide extends Duplex {
  peer: PairSide | undefined;
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;

  constructor(remoteAddress?: string, remotePort?: number) {
    super({ allowHalfOpen: false });
    this.remoteAddress = remoteAddress;
    this.remotePort = remotePort;
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.peer?.push(chunk);
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.peer?.push(null);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // A destroyed socket looks like a reset to the peer: its readable side ends.
    const peer = this.peer;
    if (peer !== undefined && !peer.readableEnded && !peer.destroyed) peer.push(null);
    callback(error);
  }
}

/** A connected pair: `server` goes to the code under test, `client` is driven by the test. */
export function duplexPair(remoteAddress = '127.0.0.1', remotePort = 40000): { client: PairSide; server: PairSide } {
  const client = new PairSide();
  const server = new PairSide(remoteAddress, remotePort);
  client.peer = server;
  server.peer = client;
  return { client, server };
}
