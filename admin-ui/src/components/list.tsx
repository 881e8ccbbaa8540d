/*
 * A server-side list: the API filters (plain or regex), sorts and pages, so 10,000 queues cost one page of rows. The
 * whole state lives in the URL's query (name, regex, sort, desc, page, size; the page's vhost too), so a link
 * reproduces the view, and the filter box keeps what the user types across refreshes.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, apiPath, type Page } from '../lib/api';
import { useLive } from '../lib/live';
import { route, setQuery } from '../lib/router';
import { ErrorBox } from './ui';

export interface Column<T> {
  /** Column id (unique in the table). */
  readonly id: string;
  readonly title: string;
  /** The API's sort key (a field path such as 'messages' or 'message_stats.publish_details.rate'); none: not sortable. */
  readonly sort?: string;
  readonly render: (row: T) => ComponentChildren;
  readonly numeric?: boolean;
}

export const PAGE_SIZES = [20, 50, 100, 500] as const;

export interface ListProps<T> {
  /** The API path segments before the vhost: ['queues']. */
  readonly resource: readonly string[];
  /** The vhost to list, or undefined for all. */
  readonly vhost?: string | undefined;
  readonly columns: ReadonlyArray<Column<T>>;
  readonly rowKey: (row: T) => string;
  /** What one row is called, for labels: 'queue'. */
  readonly noun: string;
  /** Extra query parameters for the API (e.g. columns=...). */
  readonly apiQuery?: Record<string, string>;
  /** With a selection column; `actions` gets the selected rows and a reload. */
  readonly actions?: (selected: T[], reload: () => void) => ComponentChildren;
  /** Called with each page of rows (e.g. to know what is shown). */
  readonly defaultSort?: string;
}

export function List<T>(props: ListProps<T>) {
  const q = route.value.query;
  const page = Math.max(1, Number(q.page ?? 1) || 1);
  const size = (PAGE_SIZES as readonly number[]).includes(Number(q.size)) ? Number(q.size) : 100;
  const name = q.name ?? '';
  const regex = q.regex === '1';
  const sort = q.sort ?? props.defaultSort ?? 'name';
  const desc = q.desc === '1';
  const path = apiPath(props.vhost === undefined ? props.resource : [...props.resource, props.vhost], {
    page,
    page_size: size,
    name,
    use_regex: regex ? 'true' : undefined,
    sort,
    sort_reverse: desc ? 'true' : undefined,
    pagination: 'true',
    ...props.apiQuery,
  });
  const live = useLive(() => api.get<Page<T>>(path), path);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  useEffect(() => setSelected(new Set()), [path]);

  const rows = live.data?.items ?? [];
  const pageCount = live.data?.page_count ?? 1;
  const selectedRows = rows.filter((r) => selected.has(props.rowKey(r)));
  const toggle = (key: string): void => {
    const next = new Set(selected);
    if (next.has(key)) next.delete(key);
    else next.add(key);
    setSelected(next);
  };
  const allShownSelected = rows.length > 0 && rows.every((r) => selected.has(props.rowKey(r)));
  const toggleAll = (): void => setSelected(allShownSelected ? new Set() : new Set(rows.map(props.rowKey)));
  const sortBy = (key: string): void => setQuery({ sort: key, desc: sort === key && !desc ? '1' : undefined, page: undefined });

  return (
    <div class="list">
      <div class="list-controls">
        <FilterBox value={name} regex={regex} noun={props.noun} />
        <label class="inline">
          Page size{' '}
          <select value={String(size)} onChange={(e) => setQuery({ size: (e.currentTarget as HTMLSelectElement).value, page: undefined })}>
            {PAGE_SIZES.map((s) => (
              <option key={s} value={String(s)}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <span class="count" role="status" aria-live="polite">
          {live.data === undefined
            ? ''
            : `${live.data.filtered_count.toLocaleString('en-US')} of ${live.data.total_count.toLocaleString('en-US')} ${props.noun}s`}
        </span>
      </div>
      <ErrorBox error={live.error} />
      {props.actions !== undefined && (
        <div class="bulk" aria-label="Selected rows">
          <span>{selectedRows.length} selected</span> {props.actions(selectedRows, () => {
            setSelected(new Set());
            live.reload();
          })}
        </div>
      )}
      <table class="grid">
        <thead>
          <tr>
            {props.actions !== undefined && (
              <th class="select">
                <input type="checkbox" aria-label={`Select every ${props.noun} shown`} checked={allShownSelected} onChange={toggleAll} />
              </th>
            )}
            {props.columns.map((c) => (
              <th key={c.id} class={c.numeric === true ? 'num' : ''} aria-sort={c.sort !== undefined && c.sort === sort ? (desc ? 'descending' : 'ascending') : undefined}>
                {c.sort === undefined ? (
                  c.title
                ) : (
                  <button type="button" class="sort" onClick={() => sortBy(c.sort as string)}>
                    {c.title}
                    {c.sort === sort ? (desc ? ' ▼' : ' ▲') : ''}
                  </button>
                )}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => {
            const key = props.rowKey(row);
            return (
              <tr key={key}>
                {props.actions !== undefined && (
                  <td class="select">
                    <input type="checkbox" aria-label={`Select ${props.noun} ${key}`} checked={selected.has(key)} onChange={() => toggle(key)} />
                  </td>
                )}
                {props.columns.map((c) => (
                  <td key={c.id} class={c.numeric === true ? 'num' : ''}>
                    {c.render(row)}
                  </td>
                ))}
              </tr>
            );
          })}
          {live.data !== undefined && rows.length === 0 && (
            <tr>
              <td class="empty" colSpan={props.columns.length + (props.actions !== undefined ? 1 : 0)}>
                No {props.noun}s{name !== '' ? ' match the filter' : ''}.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <Pager page={page} pageCount={pageCount} />
    </div>
  );
}

function FilterBox(props: { value: string; regex: boolean; noun: string }) {
  const [text, setText] = useState(props.value);
  // Follows the URL when it changes from outside (back button, a link), not while the user types.
  useEffect(() => setText(props.value), [props.value]);
  useEffect(() => {
    if (text === props.value) return undefined;
    const t = setTimeout(() => setQuery({ name: text, page: undefined }, { replace: true }), 250);
    return () => clearTimeout(t);
  }, [text]);
  return (
    <span class="filter">
      <label class="inline">
        Filter{' '}
        <input type="search" value={text} placeholder={`${props.noun} name`} onInput={(e) => setText((e.currentTarget as HTMLInputElement).value)} />
      </label>
      <label class="inline">
        <input type="checkbox" checked={props.regex} onChange={() => setQuery({ regex: props.regex ? undefined : '1', page: undefined })} /> Regex
      </label>
    </span>
  );
}

function Pager(props: { page: number; pageCount: number }) {
  if (props.pageCount <= 1) return null;
  const go = (p: number): void => setQuery({ page: p === 1 ? undefined : p });
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" disabled={props.page <= 1} onClick={() => go(props.page - 1)}>
        Previous
      </button>
      <span>
        Page {props.page} of {props.pageCount}
      </span>
      <button type="button" disabled={props.page >= props.pageCount} onClick={() => go(props.page + 1)}>
        Next
      </button>
    </nav>
  );
}
