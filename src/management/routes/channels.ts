import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { principalOf, vhostGate, type Principal } from '../auth';
import type { ChannelInfo, ConnectionInfo, ConsumerInfo, ManagementDeps } from '../deps';
import { Errors } from '../errors';
import { applyListing, parseListQuery } from '../listing';
import { resource, vhostOr404, vhostParams } from '../support';

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

/** Every open channel of every connection. */
export function allChannels(deps: ManagementDeps): ChannelEntry[] {
  const out: ChannelEntry[] = [];
  for (const connection of deps.connections()) out.push(...channelsOf(connection));
  return out;
}

/** Monitoring users see every connection's channels, others their own (rabbit_mgmt_util filter_conn_ch_list). */
function visible(principal: Principal, connection: ConnectionInfo): boolean {
  return principal.isMonitor || connection.user === principal.name;
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

function formatChannelDetail(entry: ChannelEntry, node: string): Record<string, unknown> {
  return {
    ...formatChannel(entry, node),
    consumer_details: entry.channel.consumers.map((consumer) => formatConsumer(entry, consumer, node)),
    // Per-exchange and per-queue breakdowns are not kept (RabbitMQ's rates_mode=detailed).
    publishes: [],
    deliveries: [],
  };
}

type NameRequest = FastifyRequest<{ Params: { name: string } }>;

/** /api/channels, /api/vhosts/{vh}/channels, /api/channels/{name}, /api/connections/{name}/channels. */
export function channelRoutes(deps: ManagementDeps): FastifyPluginAsync {
  const node = deps.node.name;
  const gate = vhostGate(deps);
  const list = (request: FastifyRequest, entries: ChannelEntry[]) => {
    const principal = principalOf(request);
    const items = entries.filter((e) => visible(principal, e.connection)).map((e) => formatChannel(e, node));
    return applyListing(items, parseListQuery(request.query as Record<string, unknown>));
  };
  return async (app) => {
    resource(app, '/channels', {
      GET: async (request) => list(request, allChannels(deps)),
    });

    resource(app, '/channels/:name', {
      GET: async (request) => {
        const { name } = (request as NameRequest).params;
        const entry = allChannels(deps).find((e) => e.name === name);
        if (entry === undefined) throw Errors.objectNotFound();
        if (!visible(principalOf(request), entry.connection)) throw Errors.objectForbidden();
        return formatChannelDetail(entry, node);
      },
    });

    resource(
      app,
      '/vhosts/:vhost/channels',
      {
        GET: async (request) => {
          const { vhost } = (request as FastifyRequest<{ Params: { vhost: string } }>).params;
          vhostOr404(deps, vhost);
          return list(
            request,
            allChannels(deps).filter((e) => e.connection.vhost === vhost),
          );
        },
      },
      { all: { onRequest: gate, schema: { params: vhostParams } } },
    );

    resource(app, '/connections/:name/channels', {
      GET: async (request) => {
        const { name } = (request as NameRequest).params;
        let connection: ConnectionInfo | undefined;
        for (const c of deps.connections()) if (c.name === name) connection = c;
        if (connection === undefined) throw Errors.objectNotFound();
        if (!visible(principalOf(request), connection)) throw Errors.objectForbidden();
        return list(request, channelsOf(connection));
      },
    });
  };
}
