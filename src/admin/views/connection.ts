import type { ChannelInfo, ConnectionInfo, ConsumerInfo } from '../../connection/info';
import { COUNTERS, MessageStats } from '../../observability/stats';
import { fieldTableToJson } from '../json';

export function formatConnection(c: ConnectionInfo, node: string): Record<string, unknown> {
  return {
    name: c.name,
    node,
    state: c.state ?? 'running',
    type: 'network',
    protocol: 'AMQP 0-9-1',
    user: c.user,
    user_who_performed_action: c.user,
    vhost: c.vhost,
    host: c.host,
    port: c.port,
    peer_host: c.peerHost,
    peer_port: c.peerPort,
    // RabbitMQ's TLS fields: null on a plain connection, the peer certificate's null when the client sent none.
    ssl: c.tls !== undefined,
    ssl_protocol: c.tls?.protocol ?? null,
    ssl_key_exchange: c.tls?.keyExchange ?? null,
    ssl_cipher: c.tls?.cipher ?? null,
    ssl_hash: c.tls?.hash ?? null,
    peer_cert_subject: c.tls?.peerCertSubject ?? null,
    peer_cert_issuer: c.tls?.peerCertIssuer ?? null,
    peer_cert_validity: c.tls?.peerCertValidity ?? null,
    auth_mechanism: c.authMechanism ?? 'PLAIN',
    timeout: c.heartbeat,
    frame_max: c.frameMax,
    channel_max: c.channelMax,
    client_properties: fieldTableToJson(c.clientProperties),
    user_provided_name: userProvidedName(c),
    connected_at: c.connectedAt,
    channels: c.channelCount,
    recv_oct: c.recvOct ?? 0,
    recv_oct_details: { rate: c.recvOctRate ?? 0 },
    send_oct: c.sendOct ?? 0,
    send_oct_details: { rate: c.sendOctRate ?? 0 },
    recv_cnt: 0,
    send_cnt: 0,
    send_pend: 0,
    message_stats: connectionStats(c),
  };
}

/** The client property connection_name (RabbitMQ's user_provided_name), or null. */
function userProvidedName(c: ConnectionInfo): string | null {
  const name = c.clientProperties['connection_name'];
  if (typeof name === 'string') return name;
  if (Buffer.isBuffer(name)) return name.toString('utf8');
  return null;
}

/** A connection's message_stats: the sum of its open channels' counters and rates. */
function connectionStats(c: ConnectionInfo): Record<string, number | { rate: number }> {
  const sum = new MessageStats();
  for (const channel of c.channels?.() ?? []) {
    const stats = channel.stats;
    for (const name of COUNTERS) {
      sum[name] += stats[name];
      sum.rates[name] += stats.rates[name];
    }
  }
  return sum.toJSON();
}

/**
 * RabbitMQ applies no delivery acknowledgement timeout here: Leveret enforces none, so consumers report 0
 * ("none"); rabbitmqadmin needs the field as a number.
 */
const CONSUMER_TIMEOUT = 0;

/** One open channel with the connection it belongs to. */
export interface ChannelEntry {
  readonly connection: ConnectionInfo;
  readonly channel: ChannelInfo;
  /** RabbitMQ's channel name: "<connection name> (<number>)". */
  readonly name: string;
}

export function channelName(connectionName: string, number: number): string {
  return `${connectionName} (${number})`;
}

export function channelsOf(connection: ConnectionInfo): ChannelEntry[] {
  const channels = connection.channels?.() ?? [];
  return channels.map((channel) => ({ connection, channel, name: channelName(connection.name, channel.number) }));
}

/** Every open channel of these connections. */
export function allChannels(connections: Iterable<ConnectionInfo>): ChannelEntry[] {
  const out: ChannelEntry[] = [];
  for (const connection of connections) out.push(...channelsOf(connection));
  return out;
}

export function formatChannel(entry: ChannelEntry, node: string): Record<string, unknown> {
  const { connection: c, channel: ch } = entry;
  return {
    name: entry.name,
    number: ch.number,
    node,
    vhost: c.vhost,
    user: c.user,
    user_who_performed_action: c.user,
    state: ch.state,
    connection_details: { name: c.name, peer_host: c.peerHost, peer_port: c.peerPort },
    consumer_count: ch.consumers.length,
    confirm: ch.confirm,
    transactional: ch.transactional,
    prefetch_count: ch.prefetchCount,
    global_prefetch_count: ch.globalPrefetchCount,
    messages_unacknowledged: ch.messagesUnacknowledged,
    messages_unconfirmed: ch.messagesUnconfirmed,
    messages_uncommitted: ch.messagesUncommitted,
    acks_uncommitted: ch.acksUncommitted,
    pending_raft_commands: 0,
    client_flow_blocked: false,
    message_stats: ch.stats.toJSON(),
  };
}

/** A consumer as /api/consumers and a channel's consumer_details show it. */
export function formatConsumer(entry: ChannelEntry, consumer: ConsumerInfo, node: string): Record<string, unknown> {
  const c = entry.connection;
  return {
    consumer_tag: consumer.tag,
    queue: { name: consumer.queue, vhost: consumer.vhost },
    channel_details: {
      connection_name: c.name,
      name: entry.name,
      node,
      number: entry.channel.number,
      peer_host: c.peerHost,
      peer_port: c.peerPort,
      user: c.user,
    },
    ack_required: consumer.ackRequired,
    exclusive: consumer.exclusive,
    prefetch_count: consumer.prefetchCount,
    arguments: consumer.priority === 0 ? {} : { 'x-priority': consumer.priority },
    active: true,
    activity_status: 'up',
    consumer_timeout: CONSUMER_TIMEOUT,
  };
}

export function formatChannelDetail(entry: ChannelEntry, node: string): Record<string, unknown> {
  return {
    ...formatChannel(entry, node),
    consumer_details: entry.channel.consumers.map((consumer) => formatConsumer(entry, consumer, node)),
    // Per-exchange and per-queue breakdowns are not kept (RabbitMQ's rates_mode=detailed).
    publishes: [],
    deliveries: [],
  };
}
