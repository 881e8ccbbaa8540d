import type { Channel } from '../channel/channel';
import { AmqpError } from '../protocol/amqp-error';
import { ReplyCode } from '../protocol/generated/amqp';
import { tlsSession } from '../tls/peer';
import type { Connection } from './connection';
import type { ChannelInfo, ConnectionInfo } from './info';
import type { Transport } from './transport';

/**
 * The management view of a connection and its channels: what info.ts describes, read from the live objects when the
 * API asks (never on the hot path).
 */
/** What the management API shows of one channel. */
export function channelInfo(channel: Channel): ChannelInfo {
  return {
    number: channel.id,
    state: channel.closing ? 'closing' : 'running',
    prefetchCount: channel.consumerPrefetch,
    globalPrefetchCount: channel.channelPrefetch,
    confirm: channel.confirm !== undefined,
    transactional: channel.tx !== undefined,
    messagesUnacknowledged: channel.unacked.size,
    messagesUnconfirmed: 0,
    messagesUncommitted: channel.tx?.publishes.length ?? 0,
    acksUncommitted: channel.tx?.acks.length ?? 0,
    stats: channel.stats,
    consumers: [...channel.consumers.values()].map((c) => ({
      tag: c.tag,
      queue: c.queue.name,
      vhost: c.queue.vhost,
      ackRequired: !c.noAck,
      exclusive: c.exclusive,
      priority: c.priority,
      prefetchCount: c.prefetch,
      unacked: c.unacked,
      active: !c.queue.settings.singleActiveConsumer || c.queue.activeConsumer === c,
    })),
  };
}

/** RabbitMQ's names for a connection's states (by connection.ts's State), as the management API shows them. */
const STATE_NAMES = ['starting', 'starting', 'tuning', 'opening', 'running', 'closing', 'closed', 'closed'] as const;

/** RabbitMQ's states under a resource alarm: 'blocked' once it published, 'blocking' before (running connections only). */
function alarmState(connection: Connection): string | undefined {
  if (!connection.isOpen || connection.flow.alarmReason === undefined) return undefined;
  return connection.flow.alarmBlocked ? 'blocked' : 'blocking';
}

/** What the management API shows of a connection over `socket`, in state number `state`. */
export function connectionInfo(connection: Connection, socket: Transport, state: number): ConnectionInfo {
  const tls = tlsSession(socket);
  return {
    ...(tls === undefined ? {} : { tls }),
    name: connection.name,
    user: connection.userName,
    vhost: connection.currentVhost?.name ?? '',
    peerHost: socket.remoteAddress ?? '',
    peerPort: socket.remotePort ?? 0,
    host: socket.localAddress ?? '',
    port: socket.localPort ?? 0,
    channelCount: connection.channels.size,
    connectedAt: connection.connectedAt,
    clientProperties: connection.clientProperties,
    frameMax: connection.writer.frameMax,
    channelMax: connection.channelMax,
    heartbeat: connection.heartbeat,
    state: alarmState(connection) ?? STATE_NAMES[state],
    authMechanism: connection.authMechanism,
    recvOct: socket.bytesRead ?? 0,
    sendOct: socket.bytesWritten ?? 0,
    close: (reason: string) => connection.closeWithError(new AmqpError(ReplyCode.ConnectionForced, reason)),
    channels: () => [...connection.channels.values()].map(channelInfo),
  };
}
