import { Decimal, type FieldTable } from '../protocol/field-table';
import type { Matcher } from './exchange-type';
import { fieldValuesEqual, headersExchangeType } from './headers';

function matcherWith(...bindings: Array<[destination: string, args: FieldTable]>): Matcher<string> {
  const matcher = headersExchangeType.createMatcher<string>({});
  for (const [destination, args] of bindings) matcher.add({ destination, routingKey: '', arguments: args });
  return matcher;
}

function routed(matcher: Matcher<string>, headers: FieldTable | undefined, routingKey = 'ignored'): string[] {
  const out = new Set<string>();
  matcher.route(routingKey, headers, out);
  return [...out].sort();
}

function matches(args: FieldTable, headers: FieldTable | undefined): boolean {
  return routed(matcherWith(['q', args]), headers).length === 1;
}

describe('headers exchange', () => {
  describe('x-match all (the default)', () => {
    it('needs every argument to match', () => {
      const args = { 'x-match': 'all', format: 'pdf', type: 'report' };
      expect(matches(args, { format: 'pdf', type: 'report' })).toBe(true);
      expect(matches(args, { format: 'pdf', type: 'report', extra: 1 })).toBe(true);
      expect(matches(args, { format: 'pdf' })).toBe(false);
      expect(matches(args, { format: 'pdf', type: 'log' })).toBe(false);
      expect(matches(args, undefined)).toBe(false);
    });

    it('is the default when x-match is absent', () => {
      expect(matches({ format: 'pdf', type: 'report' }, { format: 'pdf' })).toBe(false);
      expect(matches({ format: 'pdf', type: 'report' }, { format: 'pdf', type: 'report' })).toBe(true);
    });

    it('matches everything when there is nothing to match', () => {
      expect(matches({}, undefined)).toBe(true);
      expect(matches({ 'x-match': 'all' }, { a: 1 })).toBe(true);
      expect(matches({ 'x-match': 'all', 'x-ignored': 1 }, {})).toBe(true);
    });

    it('ignores routing keys', () => {
      const matcher = matcherWith(['q', { a: 1 }]);
      expect(routed(matcher, { a: 1 }, 'whatever')).toEqual(['q']);
      expect(routed(matcher, { a: 1 }, '')).toEqual(['q']);
    });
  });

  describe('x-match any', () => {
    it('needs one argument to match', () => {
      const args = { 'x-match': 'any', format: 'pdf', type: 'report' };
      expect(matches(args, { format: 'pdf' })).toBe(true);
      expect(matches(args, { type: 'report', format: 'zip' })).toBe(true);
      expect(matches(args, { format: 'zip' })).toBe(false);
      expect(matches(args, {})).toBe(false);
      expect(matches(args, undefined)).toBe(false);
    });

    it('matches nothing when there is nothing to match', () => {
      expect(matches({ 'x-match': 'any' }, { a: 1 })).toBe(false);
      expect(matches({ 'x-match': 'any', 'x-a': 1 }, { 'x-a': 1 })).toBe(false);
    });
  });

  describe('x- arguments', () => {
    it('are ignored by all and any', () => {
      expect(matches({ 'x-match': 'all', 'x-a': 1, b: 2 }, { b: 2 })).toBe(true);
      expect(matches({ 'x-match': 'all', 'x-a': 1, b: 2 }, { 'x-a': 9, b: 2 })).toBe(true);
      expect(matches({ 'x-match': 'any', 'x-a': 1, b: 2 }, { 'x-a': 1 })).toBe(false);
    });

    it('take part with all-with-x and any-with-x', () => {
      expect(matches({ 'x-match': 'all-with-x', 'x-a': 1, b: 2 }, { b: 2 })).toBe(false);
      expect(matches({ 'x-match': 'all-with-x', 'x-a': 1, b: 2 }, { 'x-a': 1, b: 2 })).toBe(true);
      expect(matches({ 'x-match': 'any-with-x', 'x-a': 1, b: 2 }, { 'x-a': 1 })).toBe(true);
      expect(matches({ 'x-match': 'any-with-x', 'x-a': 1, b: 2 }, { 'x-a': 2 })).toBe(false);
    });

    it('never include x-match itself', () => {
      expect(matches({ 'x-match': 'all-with-x' }, {})).toBe(true);
      expect(matches({ 'x-match': 'any-with-x' }, { 'x-match': 'any-with-x' })).toBe(false);
    });
  });

  describe('void arguments', () => {
    it('match on presence in all mode', () => {
      expect(matches({ a: null, b: 1 }, { a: 'anything', b: 1 })).toBe(true);
      expect(matches({ a: null, b: 1 }, { a: null, b: 1 })).toBe(true);
      expect(matches({ a: null, b: 1 }, { b: 1 })).toBe(false);
    });

    it('match on presence in any mode', () => {
      expect(matches({ 'x-match': 'any', a: null, b: 1 }, { a: false })).toBe(true);
      expect(matches({ 'x-match': 'any', a: null, b: 1 }, { c: 1 })).toBe(false);
    });

    it('a void header does not equal a non-void argument', () => {
      expect(matches({ a: 1 }, { a: null })).toBe(false);
    });
  });

  describe('value comparison', () => {
    it.each<[string, FieldTable[string], FieldTable[string], boolean]>([
      ['equal strings', 'x', 'x', true],
      ['different strings', 'x', 'y', false],
      ['int and float', 1, 1.0, true],
      ['int and bigint', 5, 5n, true],
      ['bigint and bigint', 1n << 62n, 1n << 62n, true],
      ['int and different bigint', 5, 6n, false],
      ['fraction and bigint', 5.5, 5n, false],
      ['string and its bytes', 'héllo', Buffer.from('héllo', 'utf8'), true],
      ['string and other bytes', 'hello', Buffer.from('hellO'), false],
      ['equal buffers', Buffer.from([1, 2]), Buffer.from([1, 2]), true],
      ['different buffers', Buffer.from([1, 2]), Buffer.from([1, 3]), false],
      ['booleans', true, true, true],
      ['boolean and number', true, 1, false],
      ['boolean and string', true, 'true', false],
      ['number and string', 1, '1', false],
      ['timestamps', new Date(5000), new Date(5000), true],
      ['timestamp and its seconds', new Date(5000), 5, true],
      ['timestamp and other seconds', new Date(5000), 5000, false],
      ['decimals', new Decimal(2, 150), new Decimal(2, 150), true],
      ['decimals with other scale', new Decimal(1, 15), new Decimal(2, 150), false],
      ['decimal and number', new Decimal(0, 1), 1, false],
      ['arrays', [1, 'a', [true]], [1.0, 'a', [true]], true],
      ['arrays of other length', [1], [1, 1], false],
      ['tables', { a: 1, b: { c: 'd' } }, { b: { c: 'd' }, a: 1 }, true],
      ['tables with other values', { a: 1 }, { a: 2 }, false],
      ['tables with other keys', { a: 1 }, { b: 1 }, false],
      ['table and array', {}, [], false],
    ])('%s', (_name, a, b, expected) => {
      expect(fieldValuesEqual(a, b)).toBe(expected);
      expect(fieldValuesEqual(b, a)).toBe(expected);
      expect(matches({ k: a }, { k: b })).toBe(expected);
    });
  });

  it('delivers a destination once when several of its bindings match', () => {
    const matcher = matcherWith(['q', { a: 1 }], ['q', { 'x-match': 'any', b: 2 }], ['r', { b: 2 }]);
    expect(routed(matcher, { a: 1, b: 2 })).toEqual(['q', 'r']);
  });

  it('remove takes away only the binding with equal arguments', () => {
    const matcher = matcherWith(['q', { a: 1 }], ['q', { b: Buffer.from('x') }], ['r', { a: 1 }]);
    matcher.remove({ destination: 'q', routingKey: '', arguments: { a: 1 } });
    expect(routed(matcher, { a: 1 })).toEqual(['r']);
    expect(routed(matcher, { b: 'x' })).toEqual(['q']);
    matcher.remove({ destination: 'q', routingKey: '', arguments: { b: 'x' } }); // not the same arguments
    expect(routed(matcher, { b: 'x' })).toEqual(['q']);
    matcher.remove({ destination: 'q', routingKey: '', arguments: { b: Buffer.from('x') } });
    expect(routed(matcher, { b: 'x' })).toEqual([]);
  });

  it('remove distinguishes bindings by routing key', () => {
    const matcher = headersExchangeType.createMatcher<string>({});
    matcher.add({ destination: 'q', routingKey: 'k1', arguments: { a: 1 } });
    matcher.add({ destination: 'q', routingKey: 'k2', arguments: { a: 1 } });
    matcher.remove({ destination: 'q', routingKey: 'k1', arguments: { a: 1 } });
    expect(routed(matcher, { a: 1 })).toEqual(['q']);
    matcher.remove({ destination: 'q', routingKey: 'k2', arguments: { a: 1 } });
    expect(routed(matcher, { a: 1 })).toEqual([]);
  });

  it('removeDestination removes all bindings of that destination only', () => {
    const matcher = matcherWith(['q', { a: 1 }], ['q', {}], ['r', { a: 1 }]);
    matcher.removeDestination('q');
    expect(routed(matcher, { a: 1 })).toEqual(['r']);
    expect(routed(matcher, {})).toEqual([]);
  });

  describe('validateBindingArguments', () => {
    const validate = (args: FieldTable): string | undefined => headersExchangeType.validateBindingArguments?.(args);

    it('accepts the four modes and an absent x-match', () => {
      for (const mode of ['all', 'any', 'all-with-x', 'any-with-x']) {
        expect(validate({ 'x-match': mode })).toBeUndefined();
      }
      expect(validate({})).toBeUndefined();
      expect(validate({ a: 'b', 'x-other': 1 })).toBeUndefined();
    });

    it("rejects other strings with RabbitMQ's text", () => {
      expect(validate({ 'x-match': 'foo' })).toBe(
        'Invalid x-match field value <<"foo">>; expected all, any, all-with-x, or any-with-x',
      );
      expect(validate({ 'x-match': 'ALL' })).toBe(
        'Invalid x-match field value <<"ALL">>; expected all, any, all-with-x, or any-with-x',
      );
      expect(validate({ 'x-match': 'say "hi"' })).toBe(
        'Invalid x-match field value <<"say \\"hi\\"">>; expected all, any, all-with-x, or any-with-x',
      );
      expect(validate({ 'x-match': 'é' })).toBe(
        'Invalid x-match field value <<"é"/utf8>>; expected all, any, all-with-x, or any-with-x',
      );
    });

    it("rejects other types with RabbitMQ's text", () => {
      expect(validate({ 'x-match': 23 })).toBe('Invalid x-match field type signedint (value 23); expected longstr');
      expect(validate({ 'x-match': true })).toBe('Invalid x-match field type bool (value true); expected longstr');
      expect(validate({ 'x-match': null })).toBe('Invalid x-match field type void (value undefined); expected longstr');
      expect(validate({ 'x-match': Buffer.from('all') })).toBe(
        'Invalid x-match field type binary (value <<"all">>); expected longstr',
      );
    });
  });
});
