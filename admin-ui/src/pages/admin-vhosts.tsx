/*
 * Virtual hosts: the list with their message counts, bulk delete of a selection (each a DELETE, after one confirm
 * that names them), and the create form (name, description, tags, default queue type).
 */
import { useState } from 'preact/hooks';
import { List, type Column } from '../components/list';
import { ActionButton, ActionForm, Field, inputValue, PageTitle, Section } from '../components/ui';
import { api, apiPath } from '../lib/api';
import { num } from '../lib/format';
import { href } from '../lib/router';

export interface Vhost {
  name: string;
  description?: string;
  tags?: string[] | string;
  default_queue_type?: string;
  messages?: number;
  messages_ready?: number;
  messages_unacknowledged?: number;
}

export function vhostTags(v: Vhost): string {
  const t = v.tags ?? [];
  return Array.isArray(t) ? t.join(', ') : t;
}

const columns: ReadonlyArray<Column<Vhost>> = [
  { id: 'name', title: 'Name', sort: 'name', render: (v) => <a href={href(['admin', 'vhosts', v.name])}>{v.name}</a> },
  { id: 'description', title: 'Description', render: (v) => v.description ?? '' },
  { id: 'tags', title: 'Tags', render: (v) => vhostTags(v) },
  { id: 'dqt', title: 'Default queue type', render: (v) => v.default_queue_type ?? <span class="muted">—</span> },
  { id: 'ready', title: 'Ready', sort: 'messages_ready', numeric: true, render: (v) => num(v.messages_ready) },
  { id: 'unacked', title: 'Unacked', sort: 'messages_unacknowledged', numeric: true, render: (v) => num(v.messages_unacknowledged) },
  { id: 'total', title: 'Total', sort: 'messages', numeric: true, render: (v) => num(v.messages) },
];

/** The queue types a vhost may default to; empty leaves the broker's default. */
export const QUEUE_TYPES = ['', 'classic', 'quorum', 'stream'] as const;

function CreateVhost(props: { onDone: () => void }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [tags, setTags] = useState('');
  const [queueType, setQueueType] = useState('');
  const submit = async (): Promise<void> => {
    await api.put(apiPath(['vhosts', name]), {
      description,
      tags,
      ...(queueType === '' ? {} : { default_queue_type: queueType }),
    });
  };
  const done = (): void => {
    setName('');
    setDescription('');
    setTags('');
    setQueueType('');
    props.onDone();
  };
  return (
    <ActionForm label="Add virtual host" done="Virtual host added." submit={submit} onDone={done}>
      <div class="row">
        <Field id="new-vhost-name" label="Name">
          <input id="new-vhost-name" required value={name} onInput={(e) => setName(inputValue(e))} autocomplete="off" />
        </Field>
        <Field id="new-vhost-description" label="Description">
          <input id="new-vhost-description" value={description} onInput={(e) => setDescription(inputValue(e))} />
        </Field>
        <Field id="new-vhost-tags" label="Tags" hint="comma separated">
          <input id="new-vhost-tags" value={tags} onInput={(e) => setTags(inputValue(e))} />
        </Field>
        <Field id="new-vhost-qtype" label="Default queue type">
          <select id="new-vhost-qtype" value={queueType} onChange={(e) => setQueueType((e.currentTarget as HTMLSelectElement).value)}>
            {QUEUE_TYPES.map((t) => (
              <option key={t} value={t}>
                {t === '' ? '(broker default)' : t}
              </option>
            ))}
          </select>
        </Field>
      </div>
    </ActionForm>
  );
}

export function VhostsPage() {
  const [listKey, setListKey] = useState(0);
  return (
    <>
      <PageTitle title="Virtual hosts" />
      <List<Vhost>
        key={listKey}
        resource={['vhosts']}
        columns={columns}
        rowKey={(v) => v.name}
        noun="virtual host"
        actions={(selected, reload) => (
          <ActionButton
            label="Delete selected"
            danger
            disabled={selected.length === 0}
            confirm={`Delete ${selected.length} virtual host(s) with all their queues, exchanges and messages: ${selected.map((v) => v.name).join(', ')}?`}
            run={async () => {
              for (const v of selected) await api.del(apiPath(['vhosts', v.name]));
            }}
            onDone={reload}
          />
        )}
      />
      <Section title="Add a virtual host">
        <CreateVhost onDone={() => setListKey(listKey + 1)} />
      </Section>
    </>
  );
}
