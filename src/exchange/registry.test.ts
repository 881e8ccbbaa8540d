import { exchangeType, exchangeTypes } from './registry';

describe('exchange type registry', () => {
  it('knows the four AMQP exchange types by name', () => {
    expect([...exchangeTypes.keys()].sort()).toEqual(['direct', 'fanout', 'headers', 'topic']);
    for (const [name, type] of exchangeTypes) {
      expect(type.name).toBe(name);
      expect(exchangeType(name)).toBe(type);
    }
  });

  it('returns undefined for unknown types', () => {
    expect(exchangeType('x-consistent-hash')).toBeUndefined();
    expect(exchangeType('Direct')).toBeUndefined();
    expect(exchangeType('')).toBeUndefined();
  });

  it('creates independent matchers', () => {
    const type = exchangeType('direct');
    const a = type?.createMatcher<string>();
    const b = type?.createMatcher<string>();
    a?.add({ destination: 'q', routingKey: 'k', arguments: {} });
    const out = new Set<string>();
    b?.route('k', undefined, out);
    expect(out.size).toBe(0);
  });

  it('only headers validates binding arguments', () => {
    expect(exchangeType('headers')?.validateBindingArguments?.({ 'x-match': 'nope' })).toMatch(/^Invalid x-match/);
    for (const name of ['direct', 'fanout', 'topic']) {
      expect(exchangeType(name)?.validateBindingArguments?.({ 'x-match': 'nope' })).toBeUndefined();
    }
  });
});
