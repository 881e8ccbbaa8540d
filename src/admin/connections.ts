import type { ConnectionInfo } from '../connection/info';
import { allChannels, channelsOf, formatChannel, formatChannelDetail, formatConnection, formatConsumer, type ChannelEntry } from './views/connection';

/** Whose connections a listing shows: monitoring users see every one, others their own (by user name). */
export type OwnerFilter = (user: string) => boolean;

/** One connection or channel found by name: its user (for the caller's checks) and its view. */
export interface Found {
  readonly user: string;
  readonly vhost: string;
  view(): Record<string, unknown>;
}

/** Open AMQP connections, their channels and consumers, from the connection registry; closing one. */
export class ConnectionAdmin {
  constructor(
    private readonly open: () => Iterable<ConnectionInfo>,
    private readonly nodeName: string,
  ) {}

  list(sees: OwnerFilter, vhost?: string): Record<string, unknown>[] {
    const items: Record<string, unknown>[] = [];
    for (const c of this.open()) {
      if (vhost !== undefined && c.vhost !== vhost) continue;
      if (sees(c.user)) items.push(formatConnection(c, this.nodeName));
    }
    return items;
  }

  /** The first connection of that name. */
  find(name: string): Found | undefined {
    for (const c of this.open()) if (c.name === name) return { user: c.user, vhost: c.vhost, view: () => formatConnection(c, this.nodeName) };
    return undefined;
  }

  /** Closes a connection with 320 CONNECTION_FORCED and this text; false when there is none of that name. */
  close(name: string, reason: string): boolean {
    for (const c of this.open()) {
      if (c.name !== name) continue;
      c.close(reason);
      return true;
    }
    return false;
  }

  /** Open connections and their channels that the filter keeps (the overview's totals). */
  totals(sees: OwnerFilter): { connections: number; channels: number } {
    let connections = 0;
    let channels = 0;
    for (const c of this.open()) {
      if (!sees(c.user)) continue;
      connections++;
      channels += c.channelCount;
    }
    return { connections, channels };
  }

  /** Channels the filter keeps, of one vhost or of every one. */
  channels(sees: OwnerFilter, vhost?: string): Record<string, unknown>[] {
    return this.channelViews(allChannels(this.open()).filter((e) => vhost === undefined || e.connection.vhost === vhost), sees);
  }

  /** The channels of a connection (the last of that name), or undefined with no such connection. */
  channelsOfConnection(name: string): { user: string; list(sees: OwnerFilter): Record<string, unknown>[] } | undefined {
    let connection: ConnectionInfo | undefined;
    for (const c of this.open()) if (c.name === name) connection = c;
    if (connection === undefined) return undefined;
    const entries = channelsOf(connection);
    return { user: connection.user, list: (sees) => this.channelViews(entries, sees) };
  }

  /** One channel by its name ("<connection> (<number>)"), with consumer_details. */
  channel(name: string): Found | undefined {
    const entry = allChannels(this.open()).find((e) => e.name === name);
    if (entry === undefined) return undefined;
    return { user: entry.connection.user, vhost: entry.connection.vhost, view: () => formatChannelDetail(entry, this.nodeName) };
  }

  /** Consumers on the connections the filter keeps, of one vhost or of every one. */
  consumers(sees: OwnerFilter, vhost?: string): Record<string, unknown>[] {
    const items: Record<string, unknown>[] = [];
    for (const entry of allChannels(this.open())) {
      if (!sees(entry.connection.user)) continue;
      for (const consumer of entry.channel.consumers) {
        if (vhost === undefined || consumer.vhost === vhost) items.push(formatConsumer(entry, consumer, this.nodeName));
      }
    }
    return items;
  }

  private channelViews(entries: ChannelEntry[], sees: OwnerFilter): Record<string, unknown>[] {
    return entries.filter((e) => sees(e.connection.user)).map((e) => formatChannel(e, this.nodeName));
  }
}
