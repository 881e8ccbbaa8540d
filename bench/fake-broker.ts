/**
 * A fake AMQP 0-9-1 server for measuring the client library alone (the "client ceiling"): it completes the
 * handshake with canned frames, answers the few synchronous methods amqplib sends, and then either
 *  - sink:   discards everything the client publishes, or
 *  - source: floods basic.deliver + header + body frames at the first basic.consume, as fast as the socket drains.
 * No queues, no routing, no state: whatever rate a client reaches against it is the most that client can do on
 * this machine. Uses the project's codec (src/protocol) through bench/ts-register.cjs.
 */
import * as net from 'node:net';
import {
  FRAME_METHOD,
  FrameReader,
  MethodId,
  PROTOCOL_HEADER,
  encodeBasicProperties,
  encodeBodyFrame,
  encodeHeaderFrame,
  encodeMethodFrame,
  decodeMethodArgs,
} from '../src/protocol';

export type FakeMode = 'sink' | 'source';

const FRAME_MAX = 131072;
/** Deliveries per pre-encoded flood chunk. */
const BATCH = 256;

function floodChunk(consumerTag: string, channel: number, bodySize: number): Buffer {
  const body = Buffer.alloc(bodySize, 0x73);
  const props = encodeBasicProperties({});
  const one = Buffer.concat([
    encodeMethodFrame(channel, MethodId.BasicDeliver, {
      consumerTag,
      deliveryTag: 1,
      redelivered: false,
      exchange: '',
      routingKey: 'bench',
    }),
    encodeHeaderFrame(channel, 60, bodySize, props),
    ...(bodySize > 0 ? [encodeBodyFrame(channel, body, 0, bodySize)] : []),
  ]);
  return Buffer.concat(new Array<Buffer>(BATCH).fill(one));
}

function serve(socket: net.Socket, mode: FakeMode, bodySize: number): void {
  socket.setNoDelay(true);
  const reader = new FrameReader(FRAME_MAX);
  let headerSeen = false;
  let flooding = false;
  const reply = (channel: number, id: number, args: object): void => {
    socket.write(encodeMethodFrame(channel, id, args as never));
  };
  const flood = (chunk: Buffer): void => {
    if (flooding) return;
    flooding = true;
    const loop = (): void => {
      while (!socket.destroyed) {
        if (!socket.write(chunk)) {
          socket.once('drain', loop);
          return;
        }
      }
    };
    loop();
  };
  socket.on('error', () => socket.destroy());
  socket.on('data', (data: Buffer) => {
    reader.push(data);
    if (!headerSeen) {
      const header = reader.readProtocolHeader();
      if (header === null) return;
      if (!header.equals(PROTOCOL_HEADER)) {
        socket.end(PROTOCOL_HEADER);
        return;
      }
      headerSeen = true;
      reply(0, MethodId.ConnectionStart, {
        versionMajor: 0,
        versionMinor: 9,
        serverProperties: {},
        mechanisms: Buffer.from('PLAIN'),
        locales: Buffer.from('en_US'),
      });
    }
    while (reader.next()) {
      if (reader.frameType !== FRAME_METHOD) continue; // content and heartbeats: discarded
      const p = reader.payload;
      const id = p.readUInt32BE(0);
      const ch = reader.channel;
      switch (id) {
        case MethodId.BasicPublish:
        case MethodId.BasicAck:
        case MethodId.ConnectionTuneOk:
          break;
        case MethodId.ConnectionStartOk:
          reply(0, MethodId.ConnectionTune, { channelMax: 2047, frameMax: FRAME_MAX, heartbeat: 0 });
          break;
        case MethodId.ConnectionOpen:
          reply(0, MethodId.ConnectionOpenOk, { knownHosts: '' });
          break;
        case MethodId.ConnectionClose:
          reply(0, MethodId.ConnectionCloseOk, {});
          socket.end();
          return;
        case MethodId.ChannelOpen:
          reply(ch, MethodId.ChannelOpenOk, { channelId: Buffer.alloc(0) });
          break;
        case MethodId.ChannelClose:
          reply(ch, MethodId.ChannelCloseOk, {});
          break;
        case MethodId.BasicQos:
          reply(ch, MethodId.BasicQosOk, {});
          break;
        case MethodId.ConfirmSelect:
          reply(ch, MethodId.ConfirmSelectOk, {});
          break;
        case MethodId.QueueDeclare: {
          const a = decodeMethodArgs(MethodId.QueueDeclare, p, 4, p.length);
          reply(ch, MethodId.QueueDeclareOk, { queue: a.queue || 'fake', messageCount: 0, consumerCount: 0 });
          break;
        }
        case MethodId.BasicConsume: {
          const a = decodeMethodArgs(MethodId.BasicConsume, p, 4, p.length);
          const tag = a.consumerTag || 'fake-ctag';
          reply(ch, MethodId.BasicConsumeOk, { consumerTag: tag });
          if (mode === 'source') flood(floodChunk(tag, ch, bodySize));
          break;
        }
        default:
          // Anything else: not needed by the benchmark's clients.
          break;
      }
    }
  });
}

/** Listens on 127.0.0.1:port (0: any free port); resolves with the server once listening. */
export function startFakeBroker(mode: FakeMode, port: number, bodySize: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => serve(socket, mode, bodySize));
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
