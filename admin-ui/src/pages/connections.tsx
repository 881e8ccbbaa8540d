/*
 * #/connections: every client connection the user may see (monitoring users all, others their own), filtered,
 * sorted and paged by the API, optionally in one vhost (?vhost=...). #/connections/<name>: one connection.
 */
import { useEffect } from 'preact/hooks';
import type { PageProps } from '../routes';
import { List, type Column } from '../components/list';
import { Notice, PageTitle } from '../components/ui';
import { bytes, detailsRate, num, rate } from '../lib/format';
import { ConnectionDetail } from './connection-detail';
import { clientOf, lastClosed, listResource, Muted, providedName, type ConnectionRow } from './connection-common';
import { href } from '../lib/router';
import { VhostSelect, useVhostNames } from '../components/vhost-select';

export default function Page(props: PageProps) {
  const name = props.route.path[1];
  if (name !== undefined) return <ConnectionDetail name={name} />;
  return <ConnectionList vhost={props.route.query.vhost} />;
}

function NameCell(props: { c: ConnectionRow }) {
  const provided = providedName(props.c);
  return (
    <>
      <a href={href(['connections', props.c.name])}>{props.c.name}</a>
      {provided !== undefined && (
        <div class="conn-provided" title="connection_name the client chose">
          {provided}
        </div>
      )}
    </>
  );
}

function ClientCell(props: { c: ConnectionRow }) {
  const client = clientOf(props.c);
  const platform = props.c.client_properties?.platform;
  if (client === '') return <Muted>—</Muted>;
  return <span title={typeof platform === 'string' ? platform : undefined}>{client}</span>;
}

/** Bytes a second, with the total so far underneath (what a stalled or chatty client looks like at a glance). */
function Traffic(props: { details: Record<string, unknown> | undefined; total: number | undefined }) {
  const r = props.details?.rate;
  return (
    <>
      {typeof r === 'number' ? `${bytes(r)}/s` : '—'}
      <div class="muted">{bytes(props.total)}</div>
    </>
  );
}

const COLUMNS: ReadonlyArray<Column<ConnectionRow>> = [
  { id: 'name', title: 'Name', sort: 'name', render: (c) => <NameCell c={c} /> },
  { id: 'user', title: 'User', sort: 'user', render: (c) => c.user ?? '' },
  { id: 'vhost', title: 'Vhost', sort: 'vhost', render: (c) => c.vhost ?? '' },
  { id: 'client', title: 'Client', sort: 'client_properties.product', render: (c) => <ClientCell c={c} /> },
  { id: 'state', title: 'State', sort: 'state', render: (c) => <span class={`conn-state-${c.state ?? ''}`}>{c.state ?? ''}</span> },
  { id: 'channels', title: 'Channels', sort: 'channels', numeric: true, render: (c) => num(c.channels) },
  { id: 'protocol', title: 'Protocol', sort: 'protocol', render: (c) => c.protocol ?? '' },
  { id: 'tls', title: 'TLS', sort: 'ssl', render: (c) => (c.ssl === true ? 'yes' : c.ssl === false ? 'no' : '—') },
  { id: 'heartbeat', title: 'Heartbeat', sort: 'timeout', numeric: true, render: (c) => (typeof c.timeout === 'number' ? `${c.timeout}s` : '—') },
  {
    id: 'recv',
    title: 'From client',
    sort: 'recv_oct_details.rate',
    numeric: true,
    render: (c) => <Traffic details={c.recv_oct_details} total={c.recv_oct} />,
  },
  {
    id: 'send',
    title: 'To client',
    sort: 'send_oct_details.rate',
    numeric: true,
    render: (c) => <Traffic details={c.send_oct_details} total={c.send_oct} />,
  },
  {
    id: 'publish',
    title: 'Publish',
    sort: 'message_stats.publish_details.rate',
    numeric: true,
    render: (c) => rate(detailsRate(c.message_stats, 'publish')),
  },
];

function ConnectionList(props: { vhost: string | undefined }) {
  const closed = lastClosed.value;
  const vhosts = useVhostNames();
  // The notice is for the view the user returned to; leaving it forgets the notice.
  useEffect(() => () => void (lastClosed.value = undefined), []);
  return (
    <>
      <PageTitle title="Connections">
        <VhostSelect value={props.vhost} names={vhosts} />
      </PageTitle>
      {closed !== undefined && (
        <Notice>
          Closed connection <span class="name">{closed.name}</span>
          {closed.reason !== '' ? ` with reason “${closed.reason}”` : ''}.
        </Notice>
      )}
      <List<ConnectionRow>
        resource={listResource('connections', props.vhost)}
        columns={COLUMNS}
        rowKey={(c) => c.name}
        noun="connection"
      />
    </>
  );
}
