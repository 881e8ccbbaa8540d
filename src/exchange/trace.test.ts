import type { FieldTable } from '../protocol/field-table';
import { Exchange } from './exchange';
import type { BindingSpec } from './exchange-type';
import { exchangeType } from './registry';
import { routeMessage, type RoutingSubject } from './router';
import { emptyTrace, traceRoute } from './trace';

/** A small deterministic generator (mulberry32), so a failure repeats. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['a', 'b', 'c'];
const TYPES = ['direct', 'fanout', 'topic', 'headers', 'x-delayed-message'];

interface Topology {
  exchanges: Exchange[];
  bindings: Map<Exchange, BindingSpec<object>[]>;
}

function pick<T>(rnd: () => number, items: readonly T[]): T {
  return items[Math.floor(rnd() * items.length)] as T;
}

function randomKey(rnd: () => number, topic: boolean): string {
  const n = 1 + Math.floor(rnd() * 3);
  const words: string[] = [];
  for (let i = 0; i < n; i++) words.push(topic && rnd() < 0.3 ? pick(rnd, ['*', '#']) : pick(rnd, WORDS));
  return words.join('.');
}

function randomTopology(rnd: () => number): Topology {
  const exchanges: Exchange[] = [];
  const count = 2 + Math.floor(rnd() * 5);
  for (let i = 0; i < count; i++) {
    const typeName = pick(rnd, TYPES);
    const args: FieldTable = {};
    if (typeName === 'x-delayed-message') args['x-delayed-type'] = pick(rnd, ['direct', 'topic', 'headers', 'fanout']);
    if (rnd() < 0.4) args['alternate-exchange'] = `x${Math.floor(rnd() * count)}`;
    const type = exchangeType(typeName);
    if (type === undefined) throw new Error(typeName);
    exchanges.push(new Exchange({ vhost: '/', name: `x${i}`, type, durable: false, autoDelete: false, internal: false, arguments: args }));
  }
  const queues = Array.from({ length: 5 }, (_, i) => ({ queue: `q${i}` }));
  const bindings = new Map<Exchange, BindingSpec<object>[]>();
  for (const source of exchanges) {
    const list: BindingSpec<object>[] = [];
    const n = Math.floor(rnd() * 5);
    for (let i = 0; i < n; i++) {
      const toExchange = rnd() < 0.35;
      const destination: object = toExchange ? pick(rnd, exchanges) : pick(rnd, queues);
      const topic = source.type.name === 'topic' || source.arguments['x-delayed-type'] === 'topic';
      const args: FieldTable = {};
      if (rnd() < 0.6) args['x-match'] = pick(rnd, ['all', 'any', 'all-with-x', 'any-with-x']);
      if (rnd() < 0.7) args.h1 = pick(rnd, WORDS);
      if (rnd() < 0.4) args.h2 = pick(rnd, WORDS);
      const binding = { destination, routingKey: randomKey(rnd, topic), arguments: args };
      source.matcher.add(binding);
      source.sourceBindings++;
      if (toExchange) source.exchangeBindings++;
      list.push(binding);
    }
    bindings.set(source, list);
  }
  return { exchanges, bindings };
}

function subjectOf(routingKey: string, headers: FieldTable): RoutingSubject {
  return { routingKey, headers: () => headers };
}

describe('traceRoute', () => {
  it('reaches exactly what routeMessage reaches, on random topologies with cycles and alternate exchanges', () => {
    let compared = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const rnd = random(seed);
      const { exchanges, bindings } = randomTopology(rnd);
      const lookup = (name: string): Exchange | undefined => exchanges.find((x) => x.name === name);
      for (let m = 0; m < 10; m++) {
        const headers: FieldTable = {};
        if (rnd() < 0.7) headers.h1 = pick(rnd, WORDS);
        if (rnd() < 0.5) headers.h2 = pick(rnd, WORDS);
        const subject = subjectOf(randomKey(rnd, false), headers);
        const source = pick(rnd, exchanges);
        const real = new Set<object>();
        routeMessage(source, subject, lookup, real, new Set(), new Set());
        const trace = emptyTrace();
        traceRoute(source, subject, lookup, (x) => bindings.get(x) ?? [], trace);
        expect(new Set(trace.destinations.keys())).toEqual(real);
        for (const entry of trace.destinations.values()) {
          expect(entry.paths.length).toBeGreaterThan(0);
          for (const path of entry.paths) {
            expect(path[0]?.exchange).toBe(source);
            const last = path[path.length - 1];
            expect(last?.binding?.destination).toBe(entry.destination);
          }
        }
        compared++;
      }
    }
    expect(compared).toBe(3000);
  });

  it('names the matching bindings and the alternate-exchange hop', () => {
    const topic = exchangeType('topic');
    const fanout = exchangeType('fanout');
    if (topic === undefined || fanout === undefined) throw new Error('types');
    const ae = new Exchange({ vhost: '/', name: 'ae', type: fanout, durable: false, autoDelete: false, internal: false, arguments: {} });
    const main = new Exchange({
      vhost: '/', name: 'main', type: topic, durable: false, autoDelete: false, internal: false, arguments: { 'alternate-exchange': 'ae' },
    });
    const q1 = { q: 1 };
    const q2 = { q: 2 };
    const mainBindings = [
      { destination: q1, routingKey: 'a.*', arguments: {} },
      { destination: q1, routingKey: 'a.#', arguments: {} },
      { destination: q1, routingKey: 'b', arguments: {} },
    ];
    for (const b of mainBindings) main.matcher.add(b);
    const aeBinding = { destination: q2, routingKey: '', arguments: {} };
    ae.matcher.add(aeBinding);
    const lookup = (name: string): Exchange | undefined => (name === 'ae' ? ae : name === 'main' ? main : undefined);
    const from = (x: Exchange): BindingSpec<object>[] => (x === main ? mainBindings : [aeBinding]);

    const hit = emptyTrace();
    traceRoute(main, subjectOf('a.x', {}), lookup, from, hit);
    expect(hit.destinations.get(q1)?.paths.map((p) => p.map((h) => h.binding?.routingKey))).toEqual([['a.*'], ['a.#']]);
    expect(hit.visited.map((x) => x.name)).toEqual(['main']);

    const miss = emptyTrace();
    traceRoute(main, subjectOf('zzz', {}), lookup, from, miss);
    expect([...miss.destinations.keys()]).toEqual([q2]);
    expect(miss.destinations.get(q2)?.paths).toEqual([
      [
        { exchange: main, via: 'alternate-exchange', binding: undefined },
        { exchange: ae, via: 'binding', binding: aeBinding },
      ],
    ]);
    expect(miss.visited.map((x) => x.name)).toEqual(['main', 'ae']);
  });
});
