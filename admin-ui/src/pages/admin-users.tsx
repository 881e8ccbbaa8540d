/*
 * Users: the list (server-side filtered, sorted and paged, like every list), bulk delete of a selection, and the
 * create form. Tags are the four RabbitMQ knows as checkboxes plus free text for any other, sent as "a,b" as the
 * API reads them.
 */
import { useState } from 'preact/hooks';
import { List, type Column } from '../components/list';
import { ActionButton, ActionForm, Field, inputValue, PageTitle, Section } from '../components/ui';
import { api, apiPath } from '../lib/api';
import { useLive } from '../lib/live';
import { href } from '../lib/router';

export interface User {
  name: string;
  tags: string[] | string;
  password_hash?: string;
  limits?: Record<string, number>;
}

export const KNOWN_TAGS = ['management', 'policymaker', 'monitoring', 'administrator'] as const;

export function tagList(tags: User['tags']): string[] {
  if (Array.isArray(tags)) return tags;
  return tags.split(',').map((t) => t.trim()).filter((t) => t !== '');
}

/** Tags as checkboxes for the known ones and a text box for the rest; `value` is the whole list. */
export function TagPicker(props: { id: string; value: readonly string[]; onChange: (tags: string[]) => void }) {
  const known = KNOWN_TAGS as readonly string[];
  const others = props.value.filter((t) => !known.includes(t));
  const [otherText, setOtherText] = useState(others.join(', '));
  const toggle = (tag: string): void => {
    const has = props.value.includes(tag);
    props.onChange(has ? props.value.filter((t) => t !== tag) : [...props.value, tag]);
  };
  const setOthers = (text: string): void => {
    setOtherText(text);
    const typed = text.split(',').map((t) => t.trim()).filter((t) => t !== '');
    props.onChange([...props.value.filter((t) => known.includes(t)), ...typed]);
  };
  return (
    <fieldset class="admin-tags">
      <legend>Tags</legend>
      {KNOWN_TAGS.map((tag) => (
        <label key={tag} class="inline">
          <input type="checkbox" checked={props.value.includes(tag)} onChange={() => toggle(tag)} /> {tag}
        </label>
      ))}
      <span class="inline">
        <label for={`${props.id}-other`}>Other tags</label>
        <input id={`${props.id}-other`} value={otherText} placeholder="comma separated" onInput={(e) => setOthers(inputValue(e))} />
      </span>
    </fieldset>
  );
}

/** The vhosts each user has permissions in (one GET /api/permissions for the whole list). */
function useVhostsByUser(): Map<string, string[]> {
  const path = apiPath(['permissions']);
  const live = useLive(() => api.get<Array<{ user: string; vhost: string }>>(path), path);
  const map = new Map<string, string[]>();
  for (const p of live.data ?? []) map.set(p.user, [...(map.get(p.user) ?? []), p.vhost]);
  return map;
}

function VhostLinks(props: { names: string[] | undefined }) {
  if (props.names === undefined || props.names.length === 0) return <span class="muted">none</span>;
  return (
    <span class="admin-links">
      {props.names.map((v) => (
        <a key={v} href={href(['admin', 'vhosts', v])}>
          {v}
        </a>
      ))}
    </span>
  );
}

const baseColumns: ReadonlyArray<Column<User>> = [
  { id: 'name', title: 'Name', sort: 'name', render: (u) => <a href={href(['admin', 'users', u.name])}>{u.name}</a> },
  { id: 'tags', title: 'Tags', render: (u) => tagList(u.tags).join(', ') || <span class="muted">none</span> },
  { id: 'password', title: 'Can log in with password', render: (u) => ((u.password_hash ?? '') === '' ? 'no' : 'yes') },
  {
    id: 'limits',
    title: 'Limits',
    render: (u) =>
      Object.entries(u.limits ?? {})
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || <span class="muted">—</span>,
  },
];

function columns(vhosts: Map<string, string[]>): ReadonlyArray<Column<User>> {
  return [...baseColumns, { id: 'vhosts', title: 'Virtual hosts', render: (u) => <VhostLinks names={vhosts.get(u.name)} /> }];
}

function CreateUser(props: { onDone: () => void }) {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [tags, setTags] = useState<string[]>(['management']);
  const [formKey, setFormKey] = useState(0);
  const submit = async (): Promise<void> => {
    // Without a password the user cannot log in with one (RabbitMQ's "no password" users, for certificates).
    await api.put(apiPath(['users', name]), { tags: tags.join(','), ...(password === '' ? {} : { password }) });
  };
  const done = (): void => {
    setName('');
    setPassword('');
    setTags(['management']);
    setFormKey(formKey + 1);
    props.onDone();
  };
  return (
    <ActionForm label="Add user" done="User added." submit={submit} onDone={done}>
      <div class="row">
        <Field id="new-user-name" label="Name">
          <input id="new-user-name" required value={name} onInput={(e) => setName(inputValue(e))} autocomplete="off" />
        </Field>
        <Field id="new-user-password" label="Password" hint="leave empty for a user without a password">
          <input id="new-user-password" type="password" autocomplete="new-password" value={password} onInput={(e) => setPassword(inputValue(e))} />
        </Field>
      </div>
      <TagPicker key={formKey} id="new-user-tags" value={tags} onChange={setTags} />
    </ActionForm>
  );
}

export function UsersPage() {
  const [listKey, setListKey] = useState(0);
  const vhosts = useVhostsByUser();
  return (
    <>
      <PageTitle title="Users" />
      <List<User>
        key={listKey}
        resource={['users']}
        columns={columns(vhosts)}
        rowKey={(u) => u.name}
        noun="user"
        actions={(selected, reload) => (
          <ActionButton
            label="Delete selected"
            danger
            disabled={selected.length === 0}
            confirm={`Delete ${selected.length} user(s): ${selected.map((u) => u.name).join(', ')}?`}
            run={() => api.post(apiPath(['users', 'bulk-delete']), { users: selected.map((u) => u.name) })}
            onDone={reload}
          />
        )}
      />
      <Section title="Add a user">
        <CreateUser onDone={() => setListKey(listKey + 1)} />
      </Section>
    </>
  );
}
