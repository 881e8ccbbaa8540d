import { ApiError } from './errors';
import { applyListing, compareValues, parseListQuery, project, type Page } from './listing';

const items = [
  { name: 'b', vhost: '/', messages: 3, stats: { rate: 2 } },
  { name: 'a', vhost: 'v2', messages: 10, stats: { rate: 1 } },
  { name: 'c', vhost: '/', messages: 1, stats: { rate: 3 } },
  { name: 'ab', vhost: '/', stats: { rate: 0 } },
];

describe('parseListQuery', () => {
  test('defaults: no pagination, no columns, no reverse', () => {
    expect(parseListQuery({})).toEqual({ sort: undefined, sortReverse: false, columns: undefined, pagination: undefined, name: undefined, useRegex: false });
  });
  test('page without page_size uses 100', () => {
    expect(parseListQuery({ page: '2' }).pagination).toEqual({ page: 2, pageSize: 100 });
  });
  test.each([
    [{ page: '0' }, 'invalid_pagination_parameters'],
    [{ page: '1', page_size: '501' }, 'invalid_pagination_parameters'],
    [{ page: '1', page_size: '0' }, 'invalid_pagination_parameters'],
    [{ page: 'x' }, 'bad_request'],
    [{ page: '1', page_size: '1.5' }, 'bad_request'],
  ])('%j -> 400 %s', (query, error) => {
    let thrown: unknown;
    try {
      parseListQuery(query);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ApiError);
    expect((thrown as ApiError).statusCode).toBe(400);
    expect((thrown as ApiError).error).toBe(error);
  });
  test('page_size 500 is allowed', () => {
    expect(parseListQuery({ page: '1', page_size: '500' }).pagination).toEqual({ page: 1, pageSize: 500 });
  });
  test('a bad regex is a 400', () => {
    expect(() => parseListQuery({ name: '(', use_regex: 'true' })).toThrow(ApiError);
  });
  test('columns split on commas and dots', () => {
    expect(parseListQuery({ columns: 'name,message_stats.publish' }).columns).toEqual([['name'], ['message_stats', 'publish']]);
  });
});

describe('applyListing', () => {
  test('default sort is vhost then name', () => {
    const out = applyListing([...items], parseListQuery({})) as Array<{ name: string }>;
    expect(out.map((i) => i.name)).toEqual(['ab', 'b', 'c', 'a']);
  });
  test('sort by a field, missing values first (as 0), reversed', () => {
    const out = applyListing([...items], parseListQuery({ sort: 'messages' })) as Array<{ name: string }>;
    expect(out.map((i) => i.name)).toEqual(['ab', 'c', 'b', 'a']);
    const rev = applyListing([...items], parseListQuery({ sort: 'messages', sort_reverse: 'true' })) as Array<{ name: string }>;
    expect(rev.map((i) => i.name)).toEqual(['a', 'b', 'c', 'ab']);
  });
  test('sort by a dotted field', () => {
    const out = applyListing([...items], parseListQuery({ sort: 'stats.rate' })) as Array<{ name: string }>;
    expect(out.map((i) => i.name)).toEqual(['ab', 'a', 'b', 'c']);
  });
  test('an empty sort keeps the input order', () => {
    const out = applyListing([...items], parseListQuery({ sort: '' })) as Array<{ name: string }>;
    expect(out.map((i) => i.name)).toEqual(['b', 'a', 'c', 'ab']);
  });
  test('the paged envelope', () => {
    const page = applyListing([...items], parseListQuery({ page: '2', page_size: '3' })) as Page<{ name: string }>;
    expect(page).toEqual({
      filtered_count: 4,
      item_count: 1,
      page: 2,
      page_count: 2,
      page_size: 3,
      total_count: 4,
      items: [expect.objectContaining({ name: 'a' })],
    });
  });
  test('name filter: substring, case-insensitive, or regex', () => {
    const sub = applyListing([...items], parseListQuery({ page: '1', name: 'A' })) as Page<{ name: string }>;
    expect(sub.items.map((i) => i.name)).toEqual(['ab', 'a']);
    expect(sub.filtered_count).toBe(2);
    expect(sub.total_count).toBe(4);
    const re = applyListing([...items], parseListQuery({ page: '1', name: '^a$', use_regex: 'true' })) as Page<{ name: string }>;
    expect(re.items.map((i) => i.name)).toEqual(['a']);
  });
  test('a page past the end is 400 page_out_of_range; page 1 of nothing is empty', () => {
    expect(() => applyListing([...items], parseListQuery({ page: '4', page_size: '2' }))).toThrow(ApiError);
    expect(applyListing([...items], parseListQuery({ page: '3', page_size: '2' }))).toEqual(expect.objectContaining({ items: [], item_count: 0 }));
    expect(applyListing([], parseListQuery({ page: '1' }))).toEqual(expect.objectContaining({ items: [], page_count: 0, item_count: 0 }));
  });
  test('columns project items, nested paths included', () => {
    const out = applyListing([...items], parseListQuery({ columns: 'name,stats.rate', sort: '' }));
    expect(out).toEqual([
      { name: 'b', stats: { rate: 2 } },
      { name: 'a', stats: { rate: 1 } },
      { name: 'c', stats: { rate: 3 } },
      { name: 'ab', stats: { rate: 0 } },
    ]);
  });
  test('10,000 items sort, page and project quickly', () => {
    const many = Array.from({ length: 10_000 }, (_, i) => ({ name: `q${(i * 7919) % 10_000}`, vhost: '/', messages: i }));
    const started = performance.now();
    const page = applyListing(many, parseListQuery({ page: '3', page_size: '500', columns: 'name' })) as Page<{ name: string }>;
    expect(performance.now() - started).toBeLessThan(500);
    expect(page.items).toHaveLength(500);
    expect(page.page_count).toBe(20);
  });
});

describe('compareValues and project', () => {
  test('numbers < booleans < strings; missing counts as 0', () => {
    expect(compareValues(1, 'a')).toBeLessThan(0);
    expect(compareValues(true, 'a')).toBeLessThan(0);
    expect(compareValues(5, true)).toBeLessThan(0);
    expect(compareValues(undefined, 0)).toBe(0);
    expect(compareValues('b', 'a')).toBeGreaterThan(0);
  });
  test('project keeps whole subtrees for a top-level column', () => {
    expect(project({ a: { b: 1, c: 2 }, d: 3 }, [['a']])).toEqual({ a: { b: 1, c: 2 } });
    expect(project({ a: { b: 1, c: 2 }, d: 3 }, [['a', 'c'], ['d']])).toEqual({ a: { c: 2 }, d: 3 });
  });
});

describe('applyListing on a LazyList', () => {
  interface Source {
    name: string;
    vhost: string;
    messages: number;
    rate: number;
  }
  const sources: Source[] = Array.from({ length: 60 }, (_, i) => ({
    name: `q-${String((i * 37) % 60).padStart(2, '0')}${i % 7 === 0 ? '-seven' : ''}`,
    vhost: i % 3 === 0 ? '/' : 'other',
    messages: (i * 13) % 10,
    rate: (i * 7) % 11,
  }));
  const view = (s: Source) => ({ name: s.name, vhost: s.vhost, messages: s.messages, stats: { rate: s.rate }, extra: 'x' });

  function lazy() {
    const built: string[] = [];
    const list = {
      sources,
      cheapFields: new Set(['name', 'vhost', 'messages']),
      field: (s: Source, f: string) => (s as unknown as Record<string, unknown>)[f],
      build: (s: Source) => {
        built.push(s.name);
        return view(s);
      },
    };
    return { list, built };
  }

  test.each([
    'page=1&page_size=10',
    'page=2&page_size=10&sort=messages',
    'page=2&page_size=5&sort=messages&sort_reverse=true&name=seven',
    'page=1&page_size=5&name=q-1.*&use_regex=true&sort=name&columns=name,stats.rate',
    'page=1&page_size=10&sort=stats.rate',
    'sort=messages&name=q-2',
    'page=1&page_size=10&sort=',
  ])('%s: the same answer as building every item first', (qs) => {
    const query = parseListQuery(Object.fromEntries(new URLSearchParams(qs)));
    const { list, built } = lazy();
    const expected = applyListing(sources.map(view), query);
    expect(applyListing(list, query)).toEqual(expected);
    const paged = query.pagination !== undefined && query.sort !== 'stats.rate';
    // Cheap listings build only the page; a sort on a built field, or no pagination, builds everything.
    expect(built.length).toBe(paged ? (expected as Page<unknown>).items.length : sources.length);
  });
});
