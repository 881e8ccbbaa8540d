/*
 * #/connections/<name>: one connection: who and where it is, what it negotiated, what the client says it is
 * (client properties, capabilities), its channels, its traffic, and closing it with a reason the client receives in
 * its connection.close (320 CONNECTION_FORCED - <reason>).
 */
import { useState } from 'preact/hooks';
import { ActionForm, ErrorBox, Field, inputValue, KeyValues, PageTitle, Section, Value } from '../components/ui';
import { api, ApiError, apiPath } from '../lib/api';
import { bytes, detailsRate, num, rate, timestamp } from '../lib/format';
import { useLive } from '../lib/live';
import { href, navigate } from '../lib/router';
import { can, me } from '../lib/session';
import {
  channelColumns,
  clientOf,
  lastClosed,
  Muted,
  providedName,
  RowsTable,
  yesNo,
  type ChannelRow,
  type ConnectionRow,
} from './connection-common';

export function ConnectionDetail(props: { name: string }) {
  const path = apiPath(['connections', props.name]);
  const live = useLive(() => api.get<ConnectionRow>(path), path);
  const c = live.data;
  const gone = live.error instanceof ApiError && live.error.status === 404;
  return (
    <>
      <PageTitle kind="Connection" title={props.name}>
        <a href={href(['connections'])}>All connections</a>
      </PageTitle>
      {gone ? (
        <p class="notice" role="status">
          This connection is closed (or never existed). <a href={href(['connections'])}>Back to the connections</a>
        </p>
      ) : (
        <ErrorBox error={live.error} />
      )}
      {c !== undefined && !gone && (
        <>
          <Section title="Overview">
            <Overview c={c} />
          </Section>
          <Section title="Client properties">
            <ClientProperties props={c.client_properties ?? {}} />
          </Section>
          <ChannelsOf name={props.name} />
          <Section title="Traffic">
            <Traffic c={c} />
          </Section>
          {(can.admin.value || me.value?.name === c.user) && <CloseForm name={props.name} />}
        </>
      )}
    </>
  );
}

function Overview(props: { c: ConnectionRow }) {
  const c = props.c;
  const provided = providedName(c);
  return (
    <div class="conn-columns">
      <KeyValues
        rows={[
          ['Client-given name', provided === undefined ? <Muted>none</Muted> : provided],
          ['User', c.user ?? ''],
          ['Virtual host', c.vhost ?? ''],
          ['State', c.state ?? ''],
          ['Client', clientOf(c) === '' ? <Muted>unknown</Muted> : clientOf(c)],
          ['Connected at', timestamp(c.connected_at)],
          ['Channels', num(c.channels)],
        ]}
      />
      <KeyValues
        rows={[
          ['Peer (client)', `${c.peer_host ?? '?'}:${c.peer_port ?? '?'}`],
          ['Listener (broker)', `${c.host ?? '?'}:${c.port ?? '?'}`],
          ['Protocol', c.protocol ?? ''],
          ['TLS', yesNo(c.ssl)],
          ['Authentication', c.auth_mechanism ?? ''],
          ['Heartbeat', typeof c.timeout === 'number' ? (c.timeout === 0 ? 'off' : `${c.timeout}s`) : '—'],
          ['Frame max', c.frame_max === undefined ? '—' : `${num(c.frame_max)} bytes`],
          ['Channel max', num(c.channel_max)],
        ]}
      />
    </div>
  );
}

/**
 * client_properties as the client sent them: one row each, the capabilities table as a list of what the client
 * supports. Values are the client's own text, shown as text.
 */
function ClientProperties(props: { props: Record<string, unknown> }) {
  const entries = Object.entries(props.props).filter(([k]) => k !== 'capabilities');
  const caps = props.props.capabilities;
  const capEntries = caps !== null && typeof caps === 'object' ? Object.entries(caps as Record<string, unknown>) : [];
  if (entries.length === 0 && capEntries.length === 0) return <p class="muted">The client sent no properties.</p>;
  return (
    <div class="conn-columns">
      <KeyValues rows={entries.map(([k, v]) => [k, <Value value={v} />] as const)} />
      {capEntries.length > 0 && (
        <table class="grid conn-caps" aria-label="Capabilities">
          <thead>
            <tr>
              <th>Capability</th>
              <th>Supported</th>
            </tr>
          </thead>
          <tbody>
            {capEntries.map(([k, v]) => (
              <tr key={k}>
                <td>{k}</td>
                <td>{typeof v === 'boolean' ? yesNo(v) : <Value value={v} />}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function ChannelsOf(props: { name: string }) {
  const path = apiPath(['connections', props.name, 'channels']);
  const live = useLive(() => api.get<ChannelRow[]>(path), path);
  const rows = live.data ?? [];
  return (
    <Section title={`Channels (${live.data === undefined ? '…' : rows.length})`}>
      <ErrorBox error={live.error} />
      <RowsTable label="Channels" columns={channelColumns(false)} rows={rows} rowKey={(ch) => ch.name} empty="This connection has no channels open." />
    </Section>
  );
}

function Traffic(props: { c: ConnectionRow }) {
  const c = props.c;
  const m = c.message_stats;
  const recv = c.recv_oct_details?.rate;
  const send = c.send_oct_details?.rate;
  return (
    <div class="cards">
      <Card label="From client" figure={typeof recv === 'number' ? `${bytes(recv)}/s` : '—'} sub={`${bytes(c.recv_oct)} in all`} />
      <Card label="To client" figure={typeof send === 'number' ? `${bytes(send)}/s` : '—'} sub={`${bytes(c.send_oct)} in all`} />
      <Card label="Publish" figure={rate(detailsRate(m, 'publish'))} sub={`${num(m?.publish)} in all`} />
      <Card label="Confirm" figure={rate(detailsRate(m, 'confirm'))} sub={`${num(m?.confirm)} in all`} />
      <Card label="Deliver / get" figure={rate(detailsRate(m, 'deliver_get'))} sub={`${num(m?.deliver_get)} in all`} />
      <Card label="Ack" figure={rate(detailsRate(m, 'ack'))} sub={`${num(m?.ack)} in all`} />
    </div>
  );
}

function Card(props: { label: string; figure: string; sub: string }) {
  return (
    <div class="card">
      <div class="label">{props.label}</div>
      <div class="figure">{props.figure}</div>
      <div class="label">{props.sub}</div>
    </div>
  );
}

/**
 * The reason travels in the X-Reason header (src/management/routes/connections.ts), and a header carries Latin-1
 * only: the browser's fetch refuses anything else, so the form says so instead of failing obscurely. AMQP's
 * reply-text is a short string, so the broker's prefix plus the reason must stay under 256 bytes.
 */
export function reasonProblem(reason: string): string | undefined {
  if (/[^\u0020-\u007e\u00a0-\u00ff]/.test(reason)) return 'The reason can hold Latin-1 characters only (it is sent in an HTTP header).';
  if (new TextEncoder().encode(reason).length > 200) return 'The reason is too long: at most 200 bytes.';
  return undefined;
}

function CloseForm(props: { name: string }) {
  const [reason, setReason] = useState('');
  const problem = reasonProblem(reason);
  const submit = async (): Promise<void> => {
    if (problem !== undefined) throw new Error(problem);
    if (!window.confirm(`Close connection ${props.name}? The client gets the reason and must reconnect.`)) return;
    const text = reason.trim();
    await api.del(apiPath(['connections', props.name]), text === '' ? {} : { 'X-Reason': text });
    lastClosed.value = { name: props.name, reason: text };
    navigate(href(['connections']));
  };
  return (
    <Section title="Close this connection">
      <ActionForm submit={submit} label="Close this connection" class="conn-close">
        <Field id="close-reason" label="Reason" hint="The client receives it in its connection.close: 320 CONNECTION_FORCED - <reason>.">
          <input
            id="close-reason"
            type="text"
            maxLength={200}
            value={reason}
            placeholder="Closed via management plugin"
            aria-invalid={problem !== undefined}
            onInput={(e) => setReason(inputValue(e))}
          />
        </Field>
        {problem !== undefined && <p class="error">{problem}</p>}
      </ActionForm>
    </Section>
  );
}
