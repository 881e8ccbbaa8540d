import type { BindingSpec } from './exchange-type';
import { fanoutExchangeType } from './fanout';

function binding(destination: string, routingKey: string, args = {}): BindingSpec<string> {
  return { destination, routingKey, arguments: args };
}

function routed(matcher: ReturnType<typeof fanoutExchangeType.createMatcher<string>>, key: string): string[] {
  const out = new Set<string>();
  matcher.route(key, { some: 'header' }, out);
  return [...out].sort();
}

describe('fanout exchange', () => {
  it('routes every message to every destination, whatever the key', () => {
    const matcher = fanoutExchangeType.createMatcher<string>({});
    expect(routed(matcher, 'a')).toEqual([]);
    matcher.add(binding('q', 'a'));
    matcher.add(binding('r', ''));
    expect(routed(matcher, 'a')).toEqual(['q', 'r']);
    expect(routed(matcher, 'zzz')).toEqual(['q', 'r']);
    expect(routed(matcher, '')).toEqual(['q', 'r']);
  });

  it('delivers once to a destination bound with two keys, until both bindings are gone', () => {
    const matcher = fanoutExchangeType.createMatcher<string>({});
    matcher.add(binding('q', 'a'));
    matcher.add(binding('q', 'b'));
    const out = new Set<string>(['existing']);
    matcher.route('c', undefined, out);
    expect([...out].sort()).toEqual(['existing', 'q']);
    matcher.remove(binding('q', 'a'));
    expect(routed(matcher, 'c')).toEqual(['q']);
    matcher.remove(binding('q', 'b'));
    expect(routed(matcher, 'c')).toEqual([]);
    matcher.remove(binding('q', 'b')); // already gone: no effect
    expect(routed(matcher, 'c')).toEqual([]);
  });

  it('removeDestination removes every binding of that destination only', () => {
    const matcher = fanoutExchangeType.createMatcher<string>({});
    matcher.add(binding('q', 'a'));
    matcher.add(binding('q', 'b'));
    matcher.add(binding('r', 'a'));
    matcher.removeDestination('q');
    expect(routed(matcher, 'x')).toEqual(['r']);
  });
});
