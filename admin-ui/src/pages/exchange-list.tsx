/*
 * `#/exchanges?vhost=&name=&sort=...`: every exchange the user may see, filtered, sorted and paged by the API, with
 * the vhost choice in the URL like the rest of the list state; a create form below, and bulk delete.
 */
import { useState } from 'preact/hooks';
import { api, apiPath } from '../lib/api';
import { exchangeApiName, exchangeHref, exchangeLabel } from '../lib/exchange-name';
import { detailsRate, rate } from '../lib/format';
import { route } from '../lib/router';
import { List, type Column } from '../components/list';
import { ActionButton, PageTitle, Section } from '../components/ui';
import { CreateExchange } from './exchange-create';
import { Features } from './exchange-parts';
import { VhostSelect, useVhostNames } from '../components/vhost-select';

export interface ExchangeRow {
  name: string;
  vhost: string;
  type: string;
  durable: boolean;
  auto_delete: boolean;
  internal: boolean;
  arguments: Record<string, unknown>;
  policy?: string | null;
  message_stats?: Record<string, unknown>;
}

const COLUMNS: ReadonlyArray<Column<ExchangeRow>> = [
  {
    id: 'name',
    title: 'Name',
    sort: 'name',
    render: (x) => (
      <a href={exchangeHref(x.vhost, x.name)} class={x.name === '' ? 'exch-default' : undefined}>
        {exchangeLabel(x.name)}
      </a>
    ),
  },
  { id: 'vhost', title: 'Virtual host', sort: 'vhost', render: (x) => x.vhost },
  { id: 'type', title: 'Type', sort: 'type', render: (x) => x.type },
  { id: 'features', title: 'Features', render: (x) => <Features exchange={x} /> },
  {
    id: 'in',
    title: 'Publish in',
    sort: 'message_stats.publish_in_details.rate',
    numeric: true,
    render: (x) => rate(detailsRate(x.message_stats, 'publish_in') ?? 0),
  },
  {
    id: 'out',
    title: 'Publish out',
    sort: 'message_stats.publish_out_details.rate',
    numeric: true,
    render: (x) => rate(detailsRate(x.message_stats, 'publish_out') ?? 0),
  },
];

/** One selection key per exchange, readable because it names the row's checkbox. */
const rowKey = (x: ExchangeRow): string => `${exchangeLabel(x.name)} in ${x.vhost}`;

function deleteAll(selected: ExchangeRow[]): Promise<unknown> {
  // One at a time, so the first refusal (amq.* and the default exchange cannot go) stops the rest and is shown.
  return selected.reduce<Promise<unknown>>(
    (done, x) => done.then(() => api.del(apiPath(['exchanges', x.vhost, exchangeApiName(x.name)]))),
    Promise.resolve(),
  );
}

export function ExchangeList() {
  const vhost = route.value.query.vhost;
  const vhosts = useVhostNames();
  // Bumped after a create so the list mounts again and loads at once instead of on the next refresh tick.
  const [version, setVersion] = useState(0);
  return (
    <div>
      <PageTitle title="Exchanges">
        <VhostSelect value={vhost} names={vhosts} />
      </PageTitle>
      <List<ExchangeRow>
        key={version}
        resource={['exchanges']}
        vhost={vhost === '' ? undefined : vhost}
        columns={COLUMNS}
        rowKey={rowKey}
        noun="exchange"
        actions={(selected, reload) => (
          <ActionButton
            label="Delete selected"
            danger
            disabled={selected.length === 0}
            confirm={`Delete ${selected.length} exchange${selected.length === 1 ? '' : 's'}? Their bindings go with them.`}
            run={() => deleteAll(selected)}
            onDone={reload}
          />
        )}
      />
      <Section title="Add a new exchange">
        <CreateExchange vhosts={vhosts} vhost={vhost ?? '/'} onCreated={() => setVersion(version + 1)} />
      </Section>
    </div>
  );
}
