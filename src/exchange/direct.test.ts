import type { BindingSpec } from './exchange-type';
import { directExchangeType } from './direct';

function binding(destination: string, routingKey: string, args = {}): BindingSpec<string> {
  return { destination, routingKey, arguments: args };
}

function routed(matcher: ReturnType<typeof directExchangeType.createMatcher<string>>, key: string): string[] {
  const out = new Set<string>();
  matcher.route(key, undefined, out);
  return [...out].sort();
}

describe('direct exchange', () => {
  it('routes on exact key equality', () => {
    const matcher = directExchangeType.createMatcher<string>({});
    matcher.add(binding('q', 'a'));
    matcher.add(binding('r', 'a'));
    matcher.add(binding('s', 'b'));
    matcher.add(binding('e', ''));
    expect(routed(matcher, 'a')).toEqual(['q', 'r']);
    expect(routed(matcher, 'b')).toEqual(['s']);
    expect(routed(matcher, '')).toEqual(['e']);
    expect(routed(matcher, 'A')).toEqual([]);
    expect(routed(matcher, 'a.b')).toEqual([]);
    expect(routed(matcher, '#')).toEqual([]); // no wildcards
  });

  it('leaves out untouched on a miss', () => {
    const matcher = directExchangeType.createMatcher<string>({});
    matcher.add(binding('q', 'a'));
    const out = new Set<string>(['existing']);
    matcher.route('missing', undefined, out);
    expect([...out]).toEqual(['existing']);
  });

  it('delivers once to a destination bound twice with the same key', () => {
    const matcher = directExchangeType.createMatcher<string>({});
    matcher.add(binding('q', 'a', { x: 1 }));
    matcher.add(binding('q', 'a', { x: 2 }));
    expect(routed(matcher, 'a')).toEqual(['q']);
    matcher.remove(binding('q', 'a', { x: 1 }));
    expect(routed(matcher, 'a')).toEqual(['q']); // one binding is left
    matcher.remove(binding('q', 'a', { x: 2 }));
    expect(routed(matcher, 'a')).toEqual([]);
  });

  it('remove leaves other bindings intact and ignores unknown bindings', () => {
    const matcher = directExchangeType.createMatcher<string>({});
    matcher.add(binding('q', 'a'));
    matcher.add(binding('q', 'b'));
    matcher.add(binding('r', 'a'));
    matcher.remove(binding('q', 'a'));
    matcher.remove(binding('q', 'zzz'));
    matcher.remove(binding('nobody', 'a'));
    expect(routed(matcher, 'a')).toEqual(['r']);
    expect(routed(matcher, 'b')).toEqual(['q']);
  });

  it('removeDestination removes every binding of that destination only', () => {
    const matcher = directExchangeType.createMatcher<string>({});
    matcher.add(binding('q', 'a'));
    matcher.add(binding('q', 'b'));
    matcher.add(binding('q', 'b', { again: true }));
    matcher.add(binding('r', 'b'));
    matcher.removeDestination('q');
    matcher.removeDestination('nobody');
    expect(routed(matcher, 'a')).toEqual([]);
    expect(routed(matcher, 'b')).toEqual(['r']);
    matcher.add(binding('q', 'a'));
    expect(routed(matcher, 'a')).toEqual(['q']);
  });
});
