/**
 * The default exchange's matcher: route() fills the set like every type, and routeOne() (the publish path's fast
 * path, vhost/publish.ts) names the same queue without one.
 */
import { defaultExchangeType } from './default';

describe('the default exchange', () => {
  const queues = new Map<string, object>([
    ['orders', { name: 'orders' }],
    ['amq.rabbitmq.reply-to.abc', { name: 'reply' }],
  ]);
  const matcher = defaultExchangeType((name) => queues.get(name)).createMatcher<object>({});

  test('route() and routeOne() agree: the queue of that name, or nothing', () => {
    for (const key of ['orders', 'amq.rabbitmq.reply-to.abc', 'missing', '']) {
      const out = new Set<object>();
      matcher.route(key, undefined, out);
      const one = matcher.routeOne?.(key);
      expect([...out]).toEqual(one === undefined ? [] : [one]);
      expect(one).toBe(queues.get(key));
    }
  });
});
