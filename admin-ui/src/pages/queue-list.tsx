/*
 * #/queues: the API filters, sorts and pages (the shared List), so 10,000 queues cost one page of rows, and `columns=`
 * asks only for the fields shown: a page of 100 queues is a few KB instead of every figure of every queue. Bulk
 * purge and delete act on the selected rows, after a confirmation that says how many.
 */
import { ActionButton, PageTitle, Section } from '../components/ui';
import { List, type Column } from '../components/list';
import { api, apiPath, errorText } from '../lib/api';
import { num, rate } from '../lib/format';
import { Features, queueHref, type QueueJson } from './queue-common';
import { VhostSelect, useVhostNames } from '../components/vhost-select';
import { CreateQueueForm } from './queue-create';
import { emptiesText, HealthBadge, oldestText, type QueueHealthJson } from './queue-health';

type ListedQueue = QueueJson & { readonly leveret_health?: QueueHealthJson };

/** The fields the columns below read: the API leaves out everything else. */
const API_COLUMNS = [
  'name',
  'vhost',
  'type',
  'durable',
  'auto_delete',
  'exclusive',
  'arguments',
  'policy',
  'operator_policy',
  'state',
  'messages',
  'messages_ready',
  'messages_unacknowledged',
  'message_stats.publish_details.rate',
  'message_stats.deliver_get_details.rate',
  'message_stats.ack_details.rate',
  'leveret_health',
].join(',');

const COLUMNS: ReadonlyArray<Column<ListedQueue>> = [
  { id: 'name', title: 'Name', sort: 'name', render: (q) => <a href={queueHref(q.vhost, q.name)}>{q.name}</a> },
  { id: 'vhost', title: 'Virtual host', sort: 'vhost', render: (q) => q.vhost },
  { id: 'type', title: 'Type', sort: 'type', render: (q) => q.type },
  { id: 'features', title: 'Features', render: (q) => <Features queue={q} /> },
  { id: 'state', title: 'State', sort: 'state', render: (q) => q.state },
  { id: 'ready', title: 'Ready', sort: 'messages_ready', numeric: true, render: (q) => num(q.messages_ready) },
  { id: 'unacked', title: 'Unacked', sort: 'messages_unacknowledged', numeric: true, render: (q) => num(q.messages_unacknowledged) },
  { id: 'total', title: 'Total', sort: 'messages', numeric: true, render: (q) => num(q.messages) },
  {
    id: 'incoming',
    title: 'Incoming',
    sort: 'message_stats.publish_details.rate',
    numeric: true,
    render: (q) => rate(q.message_stats?.publish_details?.rate),
  },
  {
    id: 'deliver',
    title: 'Deliver / get',
    sort: 'message_stats.deliver_get_details.rate',
    numeric: true,
    render: (q) => rate(q.message_stats?.deliver_get_details?.rate),
  },
  { id: 'ack', title: 'Ack', sort: 'message_stats.ack_details.rate', numeric: true, render: (q) => rate(q.message_stats?.ack_details?.rate) },
  // Leveret's queue health (queue-health.tsx): sorted by the API on leveret_health.* like the others.
  { id: 'health', title: 'Health', sort: 'leveret_health.state', render: (q) => <HealthBadge health={q.leveret_health} /> },
  { id: 'oldest', title: 'Oldest', sort: 'leveret_health.oldest_ready_age_ms', numeric: true, render: (q) => oldestText(q.leveret_health) },
  { id: 'empties', title: 'Empties in', sort: 'leveret_health.time_to_empty_s', numeric: true, render: (q) => emptiesText(q.leveret_health) },
];

/** How many requests a bulk action keeps in flight: enough to be quick, few enough not to flood the broker. */
const BULK_CONCURRENCY = 8;

/**
 * Runs `act` on every queue; all are attempted even if some fail, and the failures are then reported together
 * (the first reasons, and how many failed).
 */
async function eachQueue(queues: readonly QueueJson[], act: (q: QueueJson) => Promise<unknown>): Promise<void> {
  const failures: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < queues.length) {
      const q = queues[next++] as QueueJson;
      try {
        await act(q);
      } catch (err) {
        failures.push(`${q.name}: ${errorText(err)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(BULK_CONCURRENCY, queues.length) }, worker));
  if (failures.length > 0) {
    throw new Error(`${failures.length} of ${queues.length} failed. ${failures.slice(0, 3).join('; ')}${failures.length > 3 ? '; …' : ''}`);
  }
}

function plural(n: number): string {
  return `${n.toLocaleString('en-US')} queue${n === 1 ? '' : 's'}`;
}

function BulkActions(props: { selected: QueueJson[]; reload: () => void }) {
  const { selected, reload } = props;
  const n = selected.length;
  // The list reloads whatever happened: some queues may be gone even when others failed.
  const run = (act: (q: QueueJson) => Promise<unknown>) => async (): Promise<void> => {
    try {
      await eachQueue(selected, act);
    } finally {
      reload();
    }
  };
  return (
    <>
      <ActionButton
        label="Purge selected"
        disabled={n === 0}
        confirm={`Purge ${plural(n)}? Their ready messages are deleted.`}
        run={run((q) => api.del(apiPath(['queues', q.vhost, q.name, 'contents'])))}
      />
      <ActionButton
        label="Delete selected"
        danger
        disabled={n === 0}
        confirm={`Delete ${plural(n)}? Their messages are lost.`}
        run={run((q) => api.del(apiPath(['queues', q.vhost, q.name])))}
      />
    </>
  );
}

export function QueueList(props: { query: Readonly<Record<string, string>> }) {
  const vhost = props.query.vhost;
  const vhosts = useVhostNames();
  // In one vhost the name is the row's key; across vhosts it is named with its vhost (the checkbox labels say so).
  const rowKey = vhost === undefined ? (q: QueueJson) => `${q.name} in ${q.vhost}` : (q: QueueJson) => q.name;
  return (
    <>
      <PageTitle title="Queues">
        <VhostSelect value={vhost} names={vhosts} />
      </PageTitle>
      <List<ListedQueue>
        resource={['queues']}
        vhost={vhost}
        columns={COLUMNS}
        rowKey={rowKey}
        noun="queue"
        apiQuery={{ columns: API_COLUMNS }}
        actions={(selected, reload) => <BulkActions selected={selected} reload={reload} />}
      />
      <Section title="Add a queue">
        <details class="q-create-queue">
          <summary>Declare a new queue</summary>
          <CreateQueueForm vhosts={vhosts} vhost={vhost ?? '/'} />
        </details>
      </Section>
    </>
  );
}
