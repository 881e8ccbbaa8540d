import { exchangeType, exchangeTypes } from './registry';

describe('exchange type registry', () => {
  it('knows the four AMQP exchange types and x-delayed-message by name', () => {
    expect([...exchangeTypes.keys()].sort()).toEqual(['direct', 'fanout', 'headers', 'topic', 'x-delayed-message']);
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
    const a = type?.createMatcher<string>({});
    const b = type?.createMatcher<string>({});
    a?.add({ destination: 'q', routingKey: 'k', arguments: {} });
    const out = new Set<string>();
    b?.route('k', undefined, out);
    expect(out.size).toBe(0);
  });

  it('only x-delayed-message is delayed, and only it validates declare arguments', () => {
    expect([...exchangeTypes.values()].filter((t) => t.delayed).map((t) => t.name)).toEqual(['x-delayed-message']);
    for (const name of ['direct', 'fanout', 'topic', 'headers']) {
      expect(exchangeType(name)?.validateDeclareArguments?.({ 'x-delayed-type': 'nope' })).toBeUndefined();
    }
    expect(exchangeType('x-delayed-message')?.validateDeclareArguments?.({})).toBe(
      "Invalid argument, 'x-delayed-type' must be an existing exchange type",
    );
  });

  it('only headers validates binding arguments', () => {
    expect(exchangeType('headers')?.validateBindingArguments?.({ 'x-match': 'nope' })).toMatch(/^Invalid x-match/);
    for (const name of ['direct', 'fanout', 'topic']) {
      expect(exchangeType(name)?.validateBindingArguments?.({ 'x-match': 'nope' })).toBeUndefined();
    }
  });
});
