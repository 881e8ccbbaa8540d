import { isLazyList, type LazyList } from '../admin/lazy-list';
import { compileSafeRegExp } from '../util/safe-regex';
import { ApiError, Errors } from './errors';

/** RabbitMQ's list query parameters (rabbit_mgmt_util: sort, sort_reverse, columns, page, page_size, name, use_regex). */
export interface ListQuery {
  /** Extra sort field (dotted) put in front of the defaults; '' means "do not sort". */
  readonly sort?: string;
  readonly sortReverse: boolean;
  /** Dotted column paths to keep, or undefined for all. */
  readonly columns?: ReadonlyArray<readonly string[]>;
  readonly pagination?: { readonly page: number; readonly pageSize: number };
  readonly name?: string;
  readonly useRegex: boolean;
}

export interface Page<T> {
  filtered_count: number;
  item_count: number;
  page: number;
  page_count: number;
  page_size: number;
  total_count: number;
  items: T[];
}

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 500;

type Query = Readonly<Record<string, unknown>>;

function param(query: Query, key: string): string | undefined {
  const value = query[key];
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value.length === 0 ? undefined : String(value[value.length - 1]);
  return String(value);
}

function integer(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text.trim())) throw Errors.badRequest('Pagination parameters are invalid');
  return Number(text.trim());
}

/** Parses and validates the list parameters of a request's query string; throws ApiError 400 when invalid. */
export function parseListQuery(raw: unknown): ListQuery {
  const query = (raw ?? {}) as Query;
  const page = integer(param(query, 'page'));
  const pageSize = integer(param(query, 'page_size'));
  let pagination: ListQuery['pagination'];
  if (page !== undefined) {
    const size = pageSize ?? DEFAULT_PAGE_SIZE;
    if (page < 1 || size < 1 || size > MAX_PAGE_SIZE) {
      throw new ApiError(
        'invalid_pagination_parameters',
        `Invalid pagination parameters: page number ${page}, page size ${pageSize ?? 'undefined'}`,
      );
    }
    pagination = { page, pageSize: size };
  }
  const columnsText = param(query, 'columns');
  const columns =
    columnsText === undefined
      ? undefined
      : columnsText
          .split(',')
          .map((c) => c.split('.').filter((k) => k !== ''))
          .filter((path) => path.length > 0);
  const name = param(query, 'name');
  const useRegex = param(query, 'use_regex') === 'true';
  if (useRegex && name !== undefined && name !== '') {
    try {
      new RegExp(name, 'i');
    } catch {
      throw Errors.badRequest(`invalid regular expression: ${name}`);
    }
  }
  return {
    sort: param(query, 'sort'),
    sortReverse: param(query, 'sort_reverse') === 'true',
    columns,
    pagination,
    name: name === '' ? undefined : name,
    useRegex,
  };
}

/** The value at a dotted path; missing -> undefined. */
export function dotted(item: unknown, path: readonly string[]): unknown {
  let value: unknown = item;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/**
 * Erlang-like term order, which RabbitMQ's sort follows: numbers < booleans (atoms) < strings; a missing value
 * sorts as 0 (RabbitMQ: "nothing" before everything else).
 */
function rank(value: unknown): number {
  switch (typeof value) {
    case 'number':
      return 0;
    case 'boolean':
      return 1;
    case 'string':
      return 2;
    default:
      return value === null || value === undefined ? 0 : 3;
  }
}

export function compareValues(a: unknown, b: unknown): number {
  const x = a === undefined || a === null ? 0 : a;
  const y = b === undefined || b === null ? 0 : b;
  const ra = rank(x);
  const rb = rank(y);
  if (ra !== rb) return ra - rb;
  if (ra === 0) return (x as number) - (y as number);
  if (ra === 1) return Number(x) - Number(y);
  if (ra === 2) return x < y ? -1 : x > y ? 1 : 0;
  const sx = JSON.stringify(x);
  const sy = JSON.stringify(y);
  return sx < sy ? -1 : sx > sy ? 1 : 0;
}

function sortItems<T>(items: T[], paths: ReadonlyArray<readonly string[]>): T[] {
  const keyed = items.map((item) => ({ item, keys: paths.map((p) => dotted(item, p)) }));
  keyed.sort((a, b) => {
    for (let i = 0; i < paths.length; i++) {
      const c = compareValues(a.keys[i], b.keys[i]);
      if (c !== 0) return c;
    }
    return 0;
  });
  return keyed.map((k) => k.item);
}

/** Keeps only the requested (dotted) columns of an item, recursively, as RabbitMQ's extract_column_items. */
export function project(item: unknown, columns: ReadonlyArray<readonly string[]>): unknown {
  if (Array.isArray(item)) return item.map((i) => project(i, columns));
  if (item === null || typeof item !== 'object') return item;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(item as Record<string, unknown>)) {
    const wanted = columns.filter((c) => c[0] === key);
    if (wanted.length === 0) continue;
    out[key] = wanted.some((c) => c.length === 1) ? value : project(value, wanted.map((c) => c.slice(1)));
  }
  return out;
}

/**
 * The items whose name matches `name`: a case-insensitive regular expression with use_regex=true (matched in bounded
 * time, util/safe-regex: the pattern comes from the request), else a case-insensitive substring.
 */
function filterByName<T>(items: T[], query: ListQuery): T[] {
  const { name } = query;
  if (name === undefined) return items;
  const names = items.map((item) => String(dotted(item, ['name']) ?? ''));
  if (query.useRegex) {
    const matches = compileSafeRegExp(name, { ignoreCase: true }).testAll(names);
    return items.filter((_item, i) => matches[i] === true);
  }
  const needle = name.toLowerCase();
  return items.filter((_item, i) => (names[i] as string).toLowerCase().includes(needle));
}

/**
 * Sorts (defaults then the requested field, as RabbitMQ), filters by name, pages and projects columns. Returns a
 * plain array without `page`, the paged envelope with it. A LazyList (admin/lazy-list.ts) is paged before its items
 * are built when its name and every sort key are cheap: the same answer, for one page of views instead of all.
 */
export function applyListing<T extends object>(
  items: T[] | LazyList,
  query: ListQuery,
  defaultSort: readonly string[] = ['vhost', 'name'],
): unknown[] | Page<unknown> {
  if (isLazyList(items)) return applyLazyListing(items, query, defaultSort);
  let list = items;
  if (query.sort !== '') {
    const fields = query.sort === undefined ? [...defaultSort] : [query.sort, ...defaultSort];
    list = sortItems(list, fields.map((f) => f.split('.')));
    if (query.sortReverse) list.reverse();
  }
  const filtered = filterByName(list, query);
  const columns = query.columns;
  const shape = (xs: T[]): unknown[] => (columns === undefined ? xs : xs.map((x) => project(x, columns)));
  const { pagination } = query;
  if (pagination === undefined) return shape(filtered);
  const { page, pageSize } = pagination;
  const offset = (page - 1) * pageSize;
  if (offset > filtered.length) {
    throw new ApiError(
      'page_out_of_range',
      `Page out of range, page: ${page} page size: ${pageSize}, len: ${filtered.length}`,
    );
  }
  const pageItems = filtered.slice(offset, offset + pageSize);
  return {
    filtered_count: filtered.length,
    item_count: pageItems.length,
    page,
    page_count: Math.ceil(filtered.length / pageSize),
    page_size: pageSize,
    total_count: items.length,
    items: shape(pageItems),
  };
}

/** Puts `value` at the dotted path `field` of a stand-in row (a sort on `a.b` reads row.a.b). */
function setDotted(row: Record<string, unknown>, field: string, value: unknown): void {
  const path = field.split('.');
  let at = row;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i] as string;
    at = (at[key] ??= {}) as Record<string, unknown>;
  }
  at[path[path.length - 1] as string] = value;
}

/** Where a stand-in row of a lazy listing keeps its source. */
const SOURCE = Symbol('source');

/**
 * A LazyList's listing. With pagination and only cheap fields involved (the name, every sort key), the listing runs
 * on stand-in rows holding just those fields, and only the page's items are built; otherwise every item is built.
 */
function applyLazyListing<S>(items: LazyList<S>, query: ListQuery, defaultSort: readonly string[]): unknown[] | Page<unknown> {
  const fields = query.sort === '' ? [] : query.sort === undefined ? [...defaultSort] : [query.sort, ...defaultSort];
  const wanted = [...new Set(['name', ...fields])];
  if (query.pagination === undefined || !wanted.every((f) => items.cheapFields.has(f))) {
    return applyListing(items.sources.map((s) => items.build(s)), query, defaultSort);
  }
  const standIns = items.sources.map((source) => {
    const row: Record<string | symbol, unknown> = { [SOURCE]: source };
    for (const f of wanted) setDotted(row, f, items.field(source, f));
    return row;
  });
  const page = applyListing(standIns, { ...query, columns: undefined }, defaultSort) as Page<Record<string | symbol, unknown>>;
  const built = page.items.map((row) => items.build(row[SOURCE] as S));
  const columns = query.columns;
  return { ...page, items: columns === undefined ? built : built.map((b) => project(b, columns)) };
}
