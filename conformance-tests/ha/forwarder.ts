/**
 * A TCP forwarder the ha-test puts between one Leveret node and PostgreSQL, so that a partition cuts that node
 * from the database and nothing else. Loopback only.
 *
 * Modes:
 *  - pass: bytes flow both ways; a close on one side closes the other.
 *  - partition, style 'drop': every byte either way is read and thrown away, and so is a close (a FIN or a reset
 *    is a packet too). Both sockets stay open. A new connection is accepted and blackholed: nothing is connected
 *    upstream. At heal, every connection that lost a byte, or whose peer went away, is reset on both sides: a TCP
 *    stream either delivers every byte in order or breaks, so a stream with a hole must not carry on (a client
 *    would read one query's answer as another's). A connection that stayed quiet goes on untouched.
 *  - partition, style 'hold': nothing is read either way, so bytes wait in the kernel's buffers (the senders'
 *    writes back up, like TCP retransmitting into a dead link); a close waits too. A new connection is accepted
 *    and connected upstream only at heal. At heal everything held is delivered in order: a short partition that
 *    TCP would have ridden out.
 *  - heal: back to pass (after the resets or deliveries above).
 * PostgreSQL sees nothing from a partitioned node either way, so its idle_session_timeout ends the node's sessions;
 * the node sees nothing from PostgreSQL and must notice by its own timers.
 */
import net from 'node:net';

export type PartitionStyle = 'drop' | 'hold';
export type ForwarderMode = 'pass' | PartitionStyle;

export interface ForwarderStats {
  /** Connections accepted so far. */
  accepted: number;
  /** Connections open now. */
  open: number;
  /** Bytes thrown away in 'drop' partitions. */
  droppedBytes: number;
  /** Connections reset at a heal. */
  resetAtHeal: number;
  partitions: number;
}

export interface Forwarder {
  readonly port: number;
  readonly mode: ForwarderMode;
  partition(style: PartitionStyle): void;
  heal(): void;
  stats(): ForwarderStats;
  /** Stops listening and destroys every connection. */
  close(): Promise<void>;
}

interface Side {
  socket: net.Socket;
  /** Paused because the other side's write buffer is full. */
  blocked: boolean;
}

interface Pair {
  client: Side;
  upstream: Side | undefined;
  /** Lost a byte or a close in a 'drop' partition. */
  tainted: boolean;
  /** One side closed or failed while partitioned: the other is closed at heal. */
  gone: boolean;
  done: boolean;
}

export async function startForwarder(targetPort: number, targetHost = '127.0.0.1'): Promise<Forwarder> {
  let mode: ForwarderMode = 'pass';
  const pairs = new Set<Pair>();
  const stats: ForwarderStats = { accepted: 0, open: 0, droppedBytes: 0, resetAtHeal: 0, partitions: 0 };

  const finish = (pair: Pair): void => {
    if (pair.done) return;
    pair.done = true;
    pairs.delete(pair);
    stats.open--;
    pair.client.socket.destroy();
    pair.upstream?.socket.destroy();
  };

  /** One side ended or failed: in pass the pair goes; partitioned, the other side learns nothing until heal. */
  const sideGone = (pair: Pair): void => {
    if (mode === 'pass') finish(pair);
    else {
      pair.gone = true;
      if (mode === 'drop') pair.tainted = true;
    }
  };

  const relay = (pair: Pair, from: Side, to: () => Side | undefined): void => {
    from.socket.on('data', (chunk: Buffer) => {
      const target = to();
      if (mode === 'drop' || target === undefined) {
        stats.droppedBytes += chunk.length;
        pair.tainted = true;
        return;
      }
      // 'hold' pauses both sockets; a chunk already read when the partition began is delivered, as a packet already
      // on the wire would be.
      if (!target.socket.write(chunk)) {
        from.blocked = true;
        from.socket.pause();
        target.socket.once('drain', () => {
          from.blocked = false;
          if (mode === 'pass') from.socket.resume();
        });
      }
    });
    from.socket.on('end', () => {
      if (mode === 'pass') to()?.socket.end();
      else sideGone(pair);
    });
    from.socket.on('close', (hadError: boolean) => {
      const other = from === pair.client ? pair.upstream : pair.client;
      if (mode !== 'pass') sideGone(pair);
      // A clean close: the other side's write buffer still flushes (end, not destroy).
      else if (!hadError && other !== undefined && !other.socket.destroyed) other.socket.end();
      else finish(pair);
      if (pair.client.socket.destroyed && (pair.upstream === undefined || pair.upstream.socket.destroyed)) finish(pair);
    });
    from.socket.on('error', () => {
      if (mode === 'pass') finish(pair);
      else sideGone(pair);
    });
  };

  const connectUpstream = (pair: Pair): void => {
    const upstream: Side = { socket: net.connect(targetPort, targetHost), blocked: false };
    upstream.socket.setNoDelay(true);
    pair.upstream = upstream;
    // Bytes from the client are written to the connecting socket; node buffers them until it is connected.
    relay(pair, upstream, () => pair.client);
    if (mode === 'hold') upstream.socket.pause();
  };

  const server = net.createServer((socket) => {
    stats.accepted++;
    stats.open++;
    socket.setNoDelay(true);
    const pair: Pair = { client: { socket, blocked: false }, upstream: undefined, tainted: false, gone: false, done: false };
    pairs.add(pair);
    relay(pair, pair.client, () => pair.upstream);
    if (mode === 'pass') connectUpstream(pair);
    else if (mode === 'hold') socket.pause();
    // 'drop': blackholed; its first byte taints it and heal resets it.
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;

  return {
    port,
    get mode(): ForwarderMode {
      return mode;
    },
    partition(style: PartitionStyle): void {
      if (mode !== 'pass') throw new Error(`forwarder :${port} is already partitioned (${mode})`);
      mode = style;
      stats.partitions++;
      if (style === 'hold') {
        for (const p of pairs) {
          p.client.socket.pause();
          p.upstream?.socket.pause();
        }
      }
    },
    heal(): void {
      if (mode === 'pass') return;
      mode = 'pass';
      for (const p of [...pairs]) {
        if (p.tainted || p.gone) {
          stats.resetAtHeal++;
          finish(p);
          continue;
        }
        if (p.upstream === undefined) connectUpstream(p);
        if (!p.client.blocked) p.client.socket.resume();
        if (p.upstream !== undefined && !p.upstream.blocked) p.upstream.socket.resume();
      }
    },
    stats: () => ({ ...stats }),
    async close(): Promise<void> {
      for (const p of [...pairs]) finish(p);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
