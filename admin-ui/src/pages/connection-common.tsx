/*
 * What the Connections and Channels pages share: the row shapes the API returns (GET /api/connections and
 * /api/channels, fields as src/management/schemas/broker.ts declares them), how a client and a channel's mode read,
 * and the channel columns (the channel list and a connection's channels show the same).
 * Every name here is client-chosen text (a connection_name can be `<script>`): it is only ever a text child, and
 * links are built with href()/apiPath(), never by concatenation.
 */
import { signal } from '@preact/signals';
import type { ComponentChildren } from 'preact';
import type { Column } from '../components/list';
import { detailsRate, num, rate } from '../lib/format';
import { href } from '../lib/router';

type Stats = Record<string, unknown>;

export interface ConnectionRow {
  name: string;
  user?: string;
  vhost?: string;
  state?: string;
  type?: string;
  protocol?: string;
  host?: string;
  port?: number;
  peer_host?: string;
  peer_port?: number;
  ssl?: boolean;
  auth_mechanism?: string;
  /** The negotiated heartbeat, in seconds (RabbitMQ calls it timeout). */
  timeout?: number;
  frame_max?: number;
  channel_max?: number;
  client_properties?: Stats;
  user_provided_name?: string | null;
  connected_at?: number;
  channels?: number;
  recv_oct?: number;
  recv_oct_details?: Stats;
  send_oct?: number;
  send_oct_details?: Stats;
  message_stats?: Stats;
}

export interface ConsumerRow {
  consumer_tag: string;
  queue?: { name?: string; vhost?: string };
  ack_required?: boolean;
  exclusive?: boolean;
  prefetch_count?: number;
  active?: boolean;
  activity_status?: string;
  arguments?: Stats;
}

export interface ChannelRow {
  name: string;
  number?: number;
  vhost?: string;
  user?: string;
  state?: string;
  connection_details?: { name?: string; peer_host?: string; peer_port?: number };
  consumer_count?: number;
  confirm?: boolean;
  transactional?: boolean;
  prefetch_count?: number;
  global_prefetch_count?: number;
  messages_unacknowledged?: number;
  messages_unconfirmed?: number;
  messages_uncommitted?: number;
  acks_uncommitted?: number;
  client_flow_blocked?: boolean;
  message_stats?: Stats;
  consumer_details?: ConsumerRow[];
}

/** Set by the detail page when the user closed a connection, shown once on the list it returns to. */
export const lastClosed = signal<{ name: string; reason: string } | undefined>(undefined);

/** 'amqplib 2.3.1': the client library as it names itself in client_properties. */
export function clientOf(c: ConnectionRow): string {
  const p = c.client_properties ?? {};
  const product = typeof p.product === 'string' ? p.product : '';
  const version = typeof p.version === 'string' ? p.version : '';
  return `${product} ${version}`.trim();
}

/** The client-chosen connection name, if any (RabbitMQ shows it under the generated name). */
export function providedName(c: ConnectionRow): string | undefined {
  if (typeof c.user_provided_name === 'string' && c.user_provided_name !== '') return c.user_provided_name;
  const named = c.client_properties?.connection_name;
  return typeof named === 'string' && named !== '' ? named : undefined;
}

export function channelMode(ch: ChannelRow): string {
  if (ch.transactional === true) return 'tx';
  if (ch.confirm === true) return 'confirm';
  return '';
}

export function ConnectionLink(props: { name: string | undefined }) {
  if (props.name === undefined) return <span class="muted">—</span>;
  return <a href={href(['connections', props.name])}>{props.name}</a>;
}

export function statRate(stats: Stats | undefined, key: string): string {
  return rate(detailsRate(stats, key));
}

/** A boolean as a word a column can be scanned for. */
export function yesNo(value: unknown): string {
  return value === true ? 'yes' : value === false ? 'no' : '—';
}

/**
 * The channel columns. `withConnection` is false on a connection's own page, where every row has the same one.
 * Sort keys are the API's field paths (src/management/listing.ts sorts by them).
 */
export function channelColumns(withConnection: boolean): Array<Column<ChannelRow>> {
  const columns: Array<Column<ChannelRow> | false> = [
    { id: 'name', title: 'Channel', sort: 'name', render: (ch) => <a href={href(['channels', ch.name])}>{ch.name}</a> },
    withConnection && {
      id: 'connection',
      title: 'Connection',
      sort: 'connection_details.name',
      render: (ch) => <ConnectionLink name={ch.connection_details?.name} />,
    },
    { id: 'number', title: 'Number', sort: 'number', numeric: true, render: (ch) => num(ch.number) },
    { id: 'user', title: 'User', sort: 'user', render: (ch) => ch.user ?? '' },
    { id: 'vhost', title: 'Vhost', sort: 'vhost', render: (ch) => ch.vhost ?? '' },
    { id: 'mode', title: 'Mode', render: (ch) => <ModeCell ch={ch} /> },
    { id: 'state', title: 'State', sort: 'state', render: (ch) => ch.state ?? '' },
    { id: 'prefetch', title: 'Prefetch', sort: 'prefetch_count', numeric: true, render: (ch) => prefetchText(ch) },
    { id: 'unacked', title: 'Unacked', sort: 'messages_unacknowledged', numeric: true, render: (ch) => num(ch.messages_unacknowledged) },
    { id: 'unconfirmed', title: 'Unconfirmed', sort: 'messages_unconfirmed', numeric: true, render: (ch) => num(ch.messages_unconfirmed) },
    { id: 'consumers', title: 'Consumers', sort: 'consumer_count', numeric: true, render: (ch) => num(ch.consumer_count) },
    rateColumn('publish', 'Publish'),
    rateColumn('deliver_get', 'Deliver / get'),
    rateColumn('ack', 'Ack'),
  ];
  return columns.filter((c): c is Column<ChannelRow> => c !== false);
}

function rateColumn(key: string, title: string): Column<ChannelRow> {
  return {
    id: `rate-${key}`,
    title,
    sort: `message_stats.${key}_details.rate`,
    numeric: true,
    render: (ch) => statRate(ch.message_stats, key),
  };
}

function ModeCell(props: { ch: ChannelRow }) {
  const mode = channelMode(props.ch);
  return mode === '' ? <span class="muted">—</span> : <span class="conn-mode">{mode}</span>;
}

/** '10' or '10 (global 50)': per-consumer prefetch, and the channel-wide one when set. */
export function prefetchText(ch: ChannelRow): string {
  const global = ch.global_prefetch_count ?? 0;
  return global > 0 ? `${num(ch.prefetch_count)} (global ${num(global)})` : num(ch.prefetch_count);
}

/** A plain table for rows already loaded (a connection's channels, a channel's consumers). */
export function RowsTable<T>(props: { columns: ReadonlyArray<Column<T>>; rows: readonly T[]; rowKey: (row: T) => string; empty: string; label: string }) {
  return (
    <table class="grid" aria-label={props.label}>
      <thead>
        <tr>
          {props.columns.map((c) => (
            <th key={c.id} class={c.numeric === true ? 'num' : ''}>
              {c.title}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {props.rows.map((row) => (
          <tr key={props.rowKey(row)}>
            {props.columns.map((c) => (
              <td key={c.id} class={c.numeric === true ? 'num' : ''}>
                {c.render(row)}
              </td>
            ))}
          </tr>
        ))}
        {props.rows.length === 0 && (
          <tr>
            <td class="empty" colSpan={props.columns.length}>
              {props.empty}
            </td>
          </tr>
        )}
      </tbody>
    </table>
  );
}

/** The API path a list reads: every vhost, or one (RabbitMQ puts the vhost before the resource here). */
export function listResource(resource: 'connections' | 'channels', vhost: string | undefined): string[] {
  return vhost === undefined || vhost === '' ? [resource] : ['vhosts', vhost, resource];
}

export function Muted(props: { children: ComponentChildren }) {
  return <span class="muted">{props.children}</span>;
}
