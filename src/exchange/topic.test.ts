import type { FieldTable } from '../protocol/field-table';
import type { BindingSpec, Matcher } from './exchange-type';
import { topicExchangeType } from './topic';

const NO_ARGS: FieldTable = {};

function binding(destination: string, routingKey: string, args: FieldTable = NO_ARGS): BindingSpec<string> {
  return { destination, routingKey, arguments: args };
}

function routed(matcher: Matcher<string>, routingKey: string): string[] {
  const out = new Set<string>();
  matcher.route(routingKey, undefined, out);
  return [...out].sort();
}

function matcherWith(...bindings: Array<[destination: string, key: string]>): Matcher<string> {
  const matcher = topicExchangeType.createMatcher<string>({});
  for (const [destination, key] of bindings) matcher.add(binding(destination, key));
  return matcher;
}

/** Reference semantics, written as directly as possible: exponential, but fine for short keys. */
function words(key: string): string[] {
  return key === '' ? [] : key.split('.');
}
function referenceMatch(pattern: readonly string[], subject: readonly string[]): boolean {
  if (pattern.length === 0) return subject.length === 0;
  const [head, ...rest] = pattern;
  if (head === '#') {
    for (let skip = 0; skip <= subject.length; skip++) if (referenceMatch(rest, subject.slice(skip))) return true;
    return false;
  }
  if (subject.length === 0) return false;
  return (head === '*' || head === subject[0]) && referenceMatch(rest, subject.slice(1));
}

describe('topic exchange', () => {
  // [binding key, routing key, matches]
  const cases: Array<[string, string, boolean]> = [
    ['a.*.c', 'a.b.c', true],
    ['a.*.c', 'a..c', true], // the empty word is a word
    ['a.*.c', 'a.c', false],
    ['a.*.c', 'a.b.b.c', false],
    ['#', '', true],
    ['#', 'a', true],
    ['#', 'a.b.c', true],
    ['#', '.', true],
    ['a.#', 'a', true],
    ['a.#', 'a.b', true],
    ['a.#', 'a.b.c', true],
    ['a.#', 'a.', true],
    ['a.#', '', false],
    ['a.#', 'b.a', false],
    ['#.c', 'c', true],
    ['#.c', 'a.b.c', true],
    ['#.c', 'c.a', false],
    ['a.#.c', 'a.c', true],
    ['a.#.c', 'a.b.c', true],
    ['a.#.c', 'a.b.d.c', true],
    ['a.#.c', 'a.c.c', true],
    ['a.#.c', 'a.b', false],
    ['a.#.c', 'a.c.d', false],
    ['*.#', '', false],
    ['*.#', 'a', true],
    ['*.#', 'a.b', true],
    ['#.*', '', false],
    ['#.*', 'a', true],
    ['#.*', 'a.b.c', true],
    ['*', '', false],
    ['*', 'a', true],
    ['*', '.', false],
    ['*', 'a.b', false],
    ['', '', true],
    ['', 'a', false],
    ['', '.', false],
    ['*.*', '.', true],
    ['*.*', 'a', false],
    ['#.#', '', true],
    ['#.#', 'a.b', true],
    ['a.#.#.b', 'a.b', true],
    ['a.#.#.b', 'a.x.y.b', true],
    ['#.a.#', 'a', true],
    ['#.a.#', 'x.a.y', true],
    ['#.a.#', 'x.y', false],
    ['#.b.#.d', 'a.b.c.d', true],
    ['#.b.#.d', 'b.d', true],
    ['#.b.#.d', 'b.c', false],
    ['*.*.#', 'a', false],
    ['*.*.#', 'a.b', true],
    ['a.b', 'a.b', true],
    ['a.b', 'a.b.', false],
    ['a.b', 'ab', false],
    ['a*', 'a*', true], // `*` is only a wildcard as a whole word
    ['a*', 'ab', false],
    ['a#', 'a.b', false],
  ];

  it.each(cases)('binding %j, routing key %j -> %s', (bindingKey, routingKey, expected) => {
    expect(referenceMatch(words(bindingKey), words(routingKey))).toBe(expected); // the table itself is right
    const matcher = matcherWith(['q', bindingKey]);
    expect(routed(matcher, routingKey)).toEqual(expected ? ['q'] : []);
    // Same answer when the binding shares the trie with others (no fast path).
    const crowded = matcherWith(['q', bindingKey], ['other', 'zzz.never'], ['other2', '*.zzz.*']);
    expect(routed(crowded, routingKey)).toEqual(expected ? ['q'] : []);
  });

  it('agrees with the reference semantics on random keys (many #s, empty words)', () => {
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const patternWords = ['a', 'b', '', '*', '#'];
    const subjectWords = ['a', 'b', ''];
    const randomKey = (alphabet: string[], maxWords: number): string => {
      const n = random(maxWords + 1);
      if (n === 0) return '';
      return Array.from({ length: n }, () => alphabet[random(alphabet.length)]).join('.');
    };
    for (let round = 0; round < 200; round++) {
      const keys = Array.from({ length: 1 + random(8) }, () => randomKey(patternWords, 6));
      const matcher = topicExchangeType.createMatcher<string>({});
      keys.forEach((key, i) => matcher.add(binding(`q${i}`, key)));
      for (let probe = 0; probe < 20; probe++) {
        const routingKey = randomKey(subjectWords, 6);
        const expected = keys
          .map((key, i) => (referenceMatch(words(key), words(routingKey)) ? `q${i}` : undefined))
          .filter((d): d is string => d !== undefined)
          .sort();
        const actual = routed(matcher, routingKey);
        expect({ keys, routingKey, routed: actual }).toEqual({ keys, routingKey, routed: expected });
      }
    }
  });

  it('does not blow up with many #s', () => {
    const hashes = Array.from({ length: 20 }, () => '#').join('.');
    const matcher = matcherWith(['q', `${hashes}.x`], ['r', `a.${hashes}.${hashes}.b`]);
    const miss = Array.from({ length: 120 }, (_, i) => `w${i}`).join('.');
    const started = Date.now();
    expect(routed(matcher, miss)).toEqual([]);
    expect(routed(matcher, `${miss}.x`)).toEqual(['q']);
    expect(routed(matcher, `a.${miss}.b`)).toEqual(['r']);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('delivers a destination once when several of its bindings match', () => {
    const matcher = matcherWith(['q', 'a.*'], ['q', '*.b'], ['q', '#'], ['q', 'a.b'], ['r', 'a.#']);
    const out = new Set<string>();
    matcher.route('a.b', undefined, out);
    expect([...out].sort()).toEqual(['q', 'r']);
  });

  it('adds to what is already in out', () => {
    const matcher = matcherWith(['q', 'a']);
    const out = new Set<string>(['existing']);
    matcher.route('a', undefined, out);
    expect([...out].sort()).toEqual(['existing', 'q']);
  });

  it('remove leaves other bindings intact', () => {
    const matcher = matcherWith(['q', 'a.*'], ['q', 'a.b'], ['r', 'a.*'], ['r', 'a.b.c']);
    matcher.remove(binding('q', 'a.*'));
    expect(routed(matcher, 'a.x')).toEqual(['r']);
    expect(routed(matcher, 'a.b')).toEqual(['q', 'r']);
    matcher.remove(binding('r', 'a.*'));
    expect(routed(matcher, 'a.x')).toEqual([]);
    expect(routed(matcher, 'a.b')).toEqual(['q']);
    expect(routed(matcher, 'a.b.c')).toEqual(['r']); // pruning a.* did not cut the a.b.c path
    matcher.remove(binding('q', 'a.b'));
    matcher.remove(binding('r', 'a.b.c'));
    expect(routed(matcher, 'a.b')).toEqual([]);
    expect(routed(matcher, 'a.b.c')).toEqual([]);
  });

  it('counts bindings with the same key and different arguments', () => {
    const matcher = topicExchangeType.createMatcher<string>({});
    matcher.add(binding('q', 'a.#', { x: 1 }));
    matcher.add(binding('q', 'a.#', { x: 2 }));
    matcher.remove(binding('q', 'a.#', { x: 1 }));
    expect(routed(matcher, 'a.b')).toEqual(['q']);
    matcher.remove(binding('q', 'a.#', { x: 2 }));
    expect(routed(matcher, 'a.b')).toEqual([]);
  });

  it('ignores the removal of a binding that does not exist', () => {
    const matcher = matcherWith(['q', 'a.b']);
    matcher.remove(binding('q', 'a.c'));
    matcher.remove(binding('q', 'a.b.c'));
    matcher.remove(binding('r', 'a.b'));
    matcher.removeDestination('nobody');
    expect(routed(matcher, 'a.b')).toEqual(['q']);
  });

  it('removeDestination removes every binding of that destination only', () => {
    const matcher = matcherWith(['q', 'a.*'], ['q', '#'], ['q', ''], ['r', 'a.*'], ['r', '#.z']);
    matcher.add(binding('q', 'a.*', { again: true }));
    matcher.removeDestination('q');
    expect(routed(matcher, 'a.b')).toEqual(['r']);
    expect(routed(matcher, 'z')).toEqual(['r']);
    expect(routed(matcher, '')).toEqual([]);
    matcher.removeDestination('r');
    expect(routed(matcher, 'a.z')).toEqual([]);
    // The trie is usable again after being emptied.
    matcher.add(binding('q', 'a.*'));
    expect(routed(matcher, 'a.z')).toEqual(['q']);
  });

  describe('lone # fast path', () => {
    it('routes everything to the # destinations', () => {
      const matcher = matcherWith(['q', '#'], ['r', '#']);
      expect(routed(matcher, 'anything.at.all')).toEqual(['q', 'r']);
      expect(routed(matcher, '')).toEqual(['q', 'r']);
    });

    it('still honours an empty binding key alongside #', () => {
      const matcher = matcherWith(['q', '#'], ['e', '']);
      expect(routed(matcher, '')).toEqual(['e', 'q']);
      expect(routed(matcher, 'a')).toEqual(['q']);
    });

    it('is left and re-entered as other bindings come and go', () => {
      const matcher = matcherWith(['q', '#']);
      matcher.add(binding('r', 'a'));
      expect(routed(matcher, 'a')).toEqual(['q', 'r']);
      expect(routed(matcher, 'b')).toEqual(['q']);
      matcher.remove(binding('r', 'a'));
      expect(routed(matcher, 'a')).toEqual(['q']);
      matcher.add(binding('s', '#.a'));
      expect(routed(matcher, 'x.a')).toEqual(['q', 's']);
      matcher.remove(binding('s', '#.a'));
      expect(routed(matcher, 'x.a')).toEqual(['q']);
    });
  });

  it('routes nothing when empty', () => {
    expect(routed(topicExchangeType.createMatcher<string>({}), 'a')).toEqual([]);
  });

  it('uses object identity for destinations', () => {
    const q1 = { name: 'q' };
    const q2 = { name: 'q' };
    const matcher = topicExchangeType.createMatcher<object>({});
    matcher.add({ destination: q1, routingKey: 'a', arguments: {} });
    matcher.add({ destination: q2, routingKey: 'a', arguments: {} });
    matcher.removeDestination(q1);
    const out = new Set<object>();
    matcher.route('a', undefined, out);
    expect([...out]).toEqual([q2]);
    expect([...out][0]).toBe(q2);
  });
});

describe('topic route memo', () => {
  test('a remembered routing key sees bindings added, removed and dropped with their destination', () => {
    const matcher = matcherWith(['q1', 'a.*']);
    expect(routed(matcher, 'a.b')).toEqual(['q1']);
    expect(routed(matcher, 'a.b')).toEqual(['q1']);
    matcher.add(binding('q2', '#.b'));
    expect(routed(matcher, 'a.b')).toEqual(['q1', 'q2']);
    matcher.remove(binding('q1', 'a.*'));
    expect(routed(matcher, 'a.b')).toEqual(['q2']);
    matcher.removeDestination('q2');
    expect(routed(matcher, 'a.b')).toEqual([]);
  });

  test('remembered results add to what the caller already collected, and many distinct keys stay correct', () => {
    const matcher = matcherWith(['q1', 'k.*'], ['q2', '#']);
    const out = new Set<string>(['earlier']);
    matcher.route('k.1', undefined, out);
    matcher.route('k.1', undefined, out);
    expect([...out].sort()).toEqual(['earlier', 'q1', 'q2']);
    for (let i = 0; i < 10_000; i++) {
      const key = i % 2 === 0 ? `k.${i}` : `x.${i}`;
      expect(routed(matcher, key)).toEqual(i % 2 === 0 ? ['q1', 'q2'] : ['q2']);
    }
  });
});
