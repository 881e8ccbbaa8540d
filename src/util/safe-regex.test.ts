import { compileSafeRegExp, type RegExpTimeout } from './safe-regex';

/** Milliseconds `fn` takes. */
function timed<T>(fn: () => T): { value: T; ms: number } {
  const start = process.hrtime.bigint();
  const value = fn();
  return { value, ms: Number(process.hrtime.bigint() - start) / 1e6 };
}

// V8 needs 2^n steps for ^(a+)+$ on n a's and a '!': about 5 s at n = 30 on this machine.
const EVIL_INPUT = `${'a'.repeat(30)}!`;

describe('compileSafeRegExp', () => {
  test('an exponential pattern for V8 runs on RE2 in linear time', () => {
    const re = compileSafeRegExp('^(a+)+$');
    expect(re.engine).toBe('linear');
    const { value, ms } = timed(() => re.test(EVIL_INPUT));
    expect(value).toBe(false);
    expect(ms).toBeLessThan(500);
    expect(re.test('aaaa')).toBe(true);
    // Linear, not merely fast on 31 characters: 100,000 characters stay well under a second.
    expect(timed(() => re.test(`${'a'.repeat(100_000)}!`)).ms).toBeLessThan(1000);
  });

  test('test() finds a match anywhere, as RegExp.prototype.test', () => {
    const re = compileSafeRegExp('ha\\.');
    expect([re.test('xha.y'), re.test('hay'), re.test('')]).toEqual([true, false, false]);
    const anchored = compileSafeRegExp('^amq\\.gen-.*$');
    expect([anchored.test('amq.gen-x'), anchored.test('x.amq.gen-x')]).toEqual([true, false]);
  });

  test('literal patterns are string comparisons that agree with RegExp', () => {
    const cases: Array<[string, string]> = [
      ['^amq\\.gen-.*', 'literal'],
      ['^orders\\.', 'literal'],
      ['^$', 'literal'],
      ['^exact$', 'literal'],
      ['log$', 'literal'],
      ['mid', 'literal'],
      ['a\\$', 'literal'],
      ['^', 'literal'],
      ['a\\.*', 'linear'],
      ['^a.*$', 'linear'],
      ['^\\d', 'linear'],
      ['a\\\\.*', 'linear'],
    ];
    const inputs = ['', 'amq.gen-1', 'amq_gen-1', 'orders.x', 'ordersx', 'exact', 'exact!', 'app.log', 'a$', 'amid', 'a\\\\', 'a\nb', '1'];
    for (const [source, engine] of cases) {
      const re = compileSafeRegExp(source);
      expect({ source, engine: re.engine }).toEqual({ source, engine });
      const native = new RegExp(source);
      expect({ source, results: re.testAll(inputs) }).toEqual({ source, results: inputs.map((i) => native.test(i)) });
    }
  });

  test('ignoreCase', () => {
    expect(compileSafeRegExp('^A+!$', { ignoreCase: true }).test('aaa!')).toBe(true);
    expect(compileSafeRegExp('^A+!$').test('aaa!')).toBe(false);
  });

  test('patterns that match everything run nothing', () => {
    for (const source of ['', '.*', '^.*']) {
      const re = compileSafeRegExp(source);
      expect(re.engine).toBe('everything');
      expect(re.testAll(['', 'a\nb', 'amq.x'])).toEqual([true, true, true]);
    }
  });

  test('an invalid pattern throws what new RegExp throws', () => {
    for (const source of ['a(', '[', '(?<x)', 'a{2,1}', '*']) {
      let expected: unknown;
      try {
        new RegExp(source);
      } catch (err) {
        expected = err;
      }
      expect(expected).toBeInstanceOf(SyntaxError);
      expect(() => compileSafeRegExp(source)).toThrow(expected as Error);
    }
  });

  test('where RE2 and JavaScript read a valid pattern differently, RE2 (PCRE) wins', () => {
    // JavaScript reads [[:digit:]] as a class of '[', ':', 'd', 'i', 'g', 't' followed by ']'.
    expect(compileSafeRegExp('^[[:digit:]]+$').test('123')).toBe(true);
    expect(compileSafeRegExp('^\\x{41}$').test('A')).toBe(true);
  });

  test('lookahead and backreferences fall back to V8, and still match', () => {
    const notAmq = compileSafeRegExp('^(?!amq\\.).*');
    expect(notAmq.engine).toBe('bounded');
    expect([notAmq.test('orders'), notAmq.test('amq.gen-1'), notAmq.test('orders')]).toEqual([true, false, true]);
    expect(notAmq.testAll(['a', 'amq.x', 'b'])).toEqual([true, false, true]);
    const twice = compileSafeRegExp('^(\\w+)-\\1$');
    expect(twice.engine).toBe('bounded');
    expect([twice.test('ab-ab'), twice.test('ab-ba')]).toEqual([true, false]);
    const lookbehind = compileSafeRegExp('(?<=\\.)log$', { ignoreCase: true });
    expect([lookbehind.test('app.LOG'), lookbehind.test('applog')]).toEqual([true, false]);
  });

  test('a bounded pattern that runs too long counts as no match, stops running and is reported once', () => {
    const reports: RegExpTimeout[] = [];
    const re = compileSafeRegExp('^(?!b)(a+)+$', { timeoutMs: 20, onTimeout: (e) => reports.push(e) });
    expect(re.engine).toBe('bounded');
    expect(re.test('aaa')).toBe(true);
    const first = timed(() => re.test(EVIL_INPUT));
    expect(first.value).toBe(false);
    expect(first.ms).toBeLessThan(1000);
    expect(reports).toEqual([{ source: '^(?!b)(a+)+$', timeoutMs: 20, inputs: 1, longestInput: EVIL_INPUT.length }]);
    // From now on it answers at once, even for a string it matched before.
    const again = timed(() => [re.test(EVIL_INPUT), re.test('aaa'), ...re.testAll(['aa', EVIL_INPUT])]);
    expect(again.value).toEqual([false, false, false, false]);
    expect(again.ms).toBeLessThan(50);
    expect(reports).toHaveLength(1);
  });

  test('testAll of a bounded pattern shares one timeout between all the strings', () => {
    const reports: RegExpTimeout[] = [];
    const re = compileSafeRegExp('^(?!b)(a+)+$', { timeoutMs: 20, onTimeout: (e) => reports.push(e) });
    const inputs = ['aa', ...Array.from({ length: 50 }, () => EVIL_INPUT)];
    const { value, ms } = timed(() => re.testAll(inputs));
    expect(value).toEqual(inputs.map(() => false));
    expect(ms).toBeLessThan(1000);
    expect(reports).toEqual([{ source: '^(?!b)(a+)+$', timeoutMs: 20, inputs: 51, longestInput: EVIL_INPUT.length }]);
  });
});
