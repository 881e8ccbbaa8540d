/*
 * #/channels/<name>: one channel: its connection, mode (confirm, tx), prefetch, what it holds (unacked,
 * unconfirmed, uncommitted), its message rates and its consumers.
 */
import type { Column } from '../components/list';
import { ErrorBox, KeyValues, PageTitle, Section, Value } from '../components/ui';
import { api, ApiError, apiPath } from '../lib/api';
import { detailsRate, num, rate } from '../lib/format';
import { useLive } from '../lib/live';
import { href } from '../lib/router';
import { channelMode, ConnectionLink, Muted, prefetchText, RowsTable, yesNo, type ChannelRow, type ConsumerRow } from './connection-common';

export function ChannelDetail(props: { name: string }) {
  const path = apiPath(['channels', props.name]);
  const live = useLive(() => api.get<ChannelRow>(path), path);
  const ch = live.data;
  const gone = live.error instanceof ApiError && live.error.status === 404;
  return (
    <>
      <PageTitle kind="Channel" title={props.name}>
        <a href={href(['channels'])}>All channels</a>
      </PageTitle>
      {gone ? (
        <p class="notice" role="status">
          This channel is closed (or never existed). <a href={href(['channels'])}>Back to the channels</a>
        </p>
      ) : (
        <ErrorBox error={live.error} />
      )}
      {ch !== undefined && !gone && (
        <>
          <Section title="Overview">
            <Overview ch={ch} />
          </Section>
          <Section title="Message rates">
            <Rates stats={ch.message_stats} />
          </Section>
          <Section title={`Consumers (${num(ch.consumer_details?.length ?? ch.consumer_count)})`}>
            <RowsTable
              label="Consumers"
              columns={CONSUMER_COLUMNS}
              rows={ch.consumer_details ?? []}
              rowKey={(c) => c.consumer_tag}
              empty="This channel has no consumers."
            />
          </Section>
        </>
      )}
    </>
  );
}

function Overview(props: { ch: ChannelRow }) {
  const ch = props.ch;
  const mode = channelMode(ch);
  return (
    <div class="conn-columns">
      <KeyValues
        rows={[
          ['Connection', <ConnectionLink name={ch.connection_details?.name} />],
          ['Number', num(ch.number)],
          ['User', ch.user ?? ''],
          ['Virtual host', ch.vhost ?? ''],
          ['State', ch.state ?? ''],
          ['Mode', mode === '' ? <Muted>none (no confirms, no transaction)</Muted> : mode],
          ['Flow blocked', yesNo(ch.client_flow_blocked)],
        ]}
      />
      <KeyValues
        rows={[
          ['Prefetch count', prefetchText(ch)],
          ['Consumers', num(ch.consumer_count)],
          ['Unacknowledged', num(ch.messages_unacknowledged)],
          ['Unconfirmed', num(ch.messages_unconfirmed)],
          ['Uncommitted messages', num(ch.messages_uncommitted)],
          ['Uncommitted acks', num(ch.acks_uncommitted)],
        ]}
      />
    </div>
  );
}

const RATES: ReadonlyArray<readonly [string, string]> = [
  ['publish', 'Publish'],
  ['confirm', 'Confirm'],
  ['deliver', 'Deliver'],
  ['get', 'Get'],
  ['redeliver', 'Redeliver'],
  ['ack', 'Ack'],
  ['return_unroutable', 'Returned unroutable'],
];

function Rates(props: { stats: Record<string, unknown> | undefined }) {
  return (
    <table class="grid conn-rates" aria-label="Message rates">
      <thead>
        <tr>
          <th>Operation</th>
          <th class="num">Rate</th>
          <th class="num">Total</th>
        </tr>
      </thead>
      <tbody>
        {RATES.map(([key, label]) => (
          <tr key={key}>
            <td>{label}</td>
            <td class="num">{rate(detailsRate(props.stats, key))}</td>
            <td class="num">{num(props.stats?.[key])}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const CONSUMER_COLUMNS: ReadonlyArray<Column<ConsumerRow>> = [
  { id: 'tag', title: 'Consumer tag', render: (c) => c.consumer_tag },
  {
    id: 'queue',
    title: 'Queue',
    render: (c) =>
      c.queue?.name === undefined ? <Muted>—</Muted> : <a href={href(['queues', c.queue.vhost ?? '/', c.queue.name])}>{c.queue.name}</a>,
  },
  { id: 'ack', title: 'Ack required', render: (c) => yesNo(c.ack_required) },
  { id: 'exclusive', title: 'Exclusive', render: (c) => yesNo(c.exclusive) },
  { id: 'prefetch', title: 'Prefetch', numeric: true, render: (c) => num(c.prefetch_count) },
  { id: 'active', title: 'Active', render: (c) => c.activity_status ?? yesNo(c.active) },
  {
    id: 'args',
    title: 'Arguments',
    render: (c) => (c.arguments === undefined || Object.keys(c.arguments).length === 0 ? <Muted>none</Muted> : <Value value={c.arguments} />),
  },
];
