import type { FieldTable } from '../protocol/field-table';
import { DELAYED_EXCHANGE_TYPE, INVALID_DELAYED_TYPE_TEXT } from './delayed';
import { Exchange, isDelayed } from './exchange';
import type { ExchangeType } from './exchange-type';
import { delayedMessageExchangeType as delayedType, exchangeType } from './registry';
import { routeMessage } from './router';

function exchange(name: string, type: ExchangeType, args: FieldTable = {}): Exchange {
  return new Exchange({ vhost: '/', name, type, durable: true, autoDelete: false, internal: false, arguments: args });
}

function delayedExchange(inner: string, extra: FieldTable = {}): Exchange {
  return exchange('dx', delayedType, { 'x-delayed-type': inner, ...extra });
}

function routed(x: Exchange, routingKey: string, headers?: FieldTable): string[] {
  const out = new Set<object>();
  let decoded = 0;
  routeMessage(x, { routingKey, headers: () => (decoded++, headers) }, () => undefined, out, new Set(), new Set());
  if (!x.needsHeaders) expect(decoded).toBe(0); // headers are decoded only for types that read them
  return [...out].map((q) => (q as { name: string }).name).sort();
}

const q = (name: string) => ({ name });

describe('x-delayed-message exchange type', () => {
  it('is registered under the plugin’s type name and is the only delayed type', () => {
    expect(delayedType.name).toBe('x-delayed-message');
    expect(DELAYED_EXCHANGE_TYPE).toBe('x-delayed-message');
    expect(exchangeType('x-delayed-message')).toBe(delayedType);
    expect(delayedType.delayed).toBe(true);
    expect(isDelayed(delayedExchange('direct'))).toBe(true);
    expect(delayedExchange('fanout').delayed).toBe(true);
    for (const name of ['direct', 'fanout', 'topic', 'headers']) {
      const x = exchange('x', exchangeType(name)!);
      expect(isDelayed(x)).toBe(false);
      expect(x.delayed).toBe(false);
    }
  });

  describe('declare arguments', () => {
    it('accepts each routing type, as a longstr or a byte array', () => {
      for (const inner of ['direct', 'fanout', 'topic', 'headers']) {
        expect(delayedType.validateDeclareArguments!({ 'x-delayed-type': inner })).toBeUndefined();
        expect(delayedType.validateDeclareArguments!({ 'x-delayed-type': Buffer.from(inner) })).toBeUndefined();
      }
      expect(delayedType.validateDeclareArguments!({ 'x-delayed-type': 'topic', 'alternate-exchange': 'ae' })).toBeUndefined();
    });

    it('refuses a missing or non-string x-delayed-type with the plugin’s text', () => {
      for (const args of [{}, { 'x-delayed-type': 1 }, { 'x-delayed-type': null }, { 'x-delayed-type': true }, { 'x-delayed-type': ['direct'] }, { 'x-delayed-typ': 'direct' }]) {
        expect(delayedType.validateDeclareArguments!(args as FieldTable)).toBe(INVALID_DELAYED_TYPE_TEXT);
      }
      expect(INVALID_DELAYED_TYPE_TEXT).toBe("Invalid argument, 'x-delayed-type' must be an existing exchange type");
    });

    it('refuses a type name that names no exchange type as RabbitMQ refuses an unknown type', () => {
      expect(delayedType.validateDeclareArguments!({ 'x-delayed-type': 'nope' })).toBe("unknown exchange type 'nope'");
      expect(delayedType.validateDeclareArguments!({ 'x-delayed-type': 'Direct' })).toBe("unknown exchange type 'Direct'");
      expect(delayedType.validateDeclareArguments!({ 'x-delayed-type': '' })).toBe("unknown exchange type ''");
    });

    it('refuses to route like itself', () => {
      expect(delayedType.validateDeclareArguments!({ 'x-delayed-type': 'x-delayed-message' })).toBe("Invalid argument, 'x-delayed-message' can't be used for 'x-delayed-type'");
    });
  });

  describe('routing like x-delayed-type', () => {
    it('direct', () => {
      const x = delayedExchange('direct');
      x.matcher.add({ destination: q('a'), routingKey: 'k', arguments: {} });
      x.matcher.add({ destination: q('b'), routingKey: 'other', arguments: {} });
      expect(x.needsHeaders).toBe(false);
      expect(routed(x, 'k')).toEqual(['a']);
      expect(routed(x, 'nope')).toEqual([]);
    });

    it('fanout', () => {
      const x = delayedExchange('fanout');
      x.matcher.add({ destination: q('a'), routingKey: 'k', arguments: {} });
      x.matcher.add({ destination: q('b'), routingKey: 'other', arguments: {} });
      expect(routed(x, 'anything')).toEqual(['a', 'b']);
    });

    it('topic', () => {
      const x = delayedExchange('topic');
      x.matcher.add({ destination: q('all'), routingKey: 'orders.#', arguments: {} });
      x.matcher.add({ destination: q('eu'), routingKey: 'orders.*.eu', arguments: {} });
      expect(routed(x, 'orders.new.eu')).toEqual(['all', 'eu']);
      expect(routed(x, 'orders.new.us')).toEqual(['all']);
      expect(routed(x, 'invoices')).toEqual([]);
    });

    it('headers: the message headers are read, x-match is checked at bind time', () => {
      const x = delayedExchange('headers');
      expect(x.needsHeaders).toBe(true);
      x.matcher.add({ destination: q('red'), routingKey: '', arguments: { 'x-match': 'all', colour: 'red' } });
      x.matcher.add({ destination: q('any'), routingKey: '', arguments: { 'x-match': 'any', colour: 'blue', size: 1 } });
      expect(routed(x, '', { colour: 'red', 'x-delay': 1000 })).toEqual(['red']);
      expect(routed(x, '', { size: 1 })).toEqual(['any']);
      expect(routed(x, '', undefined)).toEqual([]);
      expect(x.validateBindingArguments({ 'x-match': 'nope' })).toMatch(/^Invalid x-match field value/);
      expect(x.validateBindingArguments({ 'x-match': 'any' })).toBeUndefined();
    });

    it('binding checks are the routing type’s: a delayed direct exchange takes any x-match', () => {
      expect(delayedExchange('direct').validateBindingArguments({ 'x-match': 'nope' })).toBeUndefined();
      expect(delayedType.validateBindingArguments!({ 'x-match': 'nope' })).toBeUndefined(); // no exchange arguments
      expect(exchange('h', exchangeType('headers')!).validateBindingArguments({ 'x-match': 'nope' })).toMatch(/^Invalid/);
    });

    it('each exchange gets its own table', () => {
      const a = delayedExchange('direct');
      const b = delayedExchange('direct');
      a.matcher.add({ destination: q('a'), routingKey: 'k', arguments: {} });
      expect(routed(b, 'k')).toEqual([]);
    });

    it('arguments that name no type (never validated) give an exchange that routes nowhere', () => {
      const broken: FieldTable[] = [{}, { 'x-delayed-type': 'nope' }, { 'x-delayed-type': 'x-delayed-message' }];
      for (const args of broken) {
        const x = exchange('broken', delayedType, args);
        x.matcher.add({ destination: q('a'), routingKey: 'k', arguments: {} });
        x.matcher.remove({ destination: q('a'), routingKey: 'k', arguments: {} });
        x.matcher.removeDestination(q('a'));
        expect(x.needsHeaders).toBe(false);
        expect(routed(x, 'k')).toEqual([]);
      }
    });

    it('a delayed exchange with no match falls through to its alternate exchange, like any other', () => {
      const ae = exchange('ae', exchangeType('fanout')!);
      ae.matcher.add({ destination: q('unrouted'), routingKey: '', arguments: {} });
      const x = delayedExchange('direct', { 'alternate-exchange': 'ae' });
      const out = new Set<object>();
      routeMessage(x, { routingKey: 'k', headers: () => undefined }, (n) => (n === 'ae' ? ae : undefined), out, new Set(), new Set());
      expect([...out]).toEqual([expect.objectContaining({ name: 'unrouted' })]);
    });
  });
});
