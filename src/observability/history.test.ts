import { History, parseRanges, recordHistories, queueHistory, vhostHistory, vhostTotalsOf } from './history';
import { MessageStats } from './stats';

describe('History', () => {
  test('rate is the change over the last interval; a range gives samples newest first, avg and avg_rate', () => {
    const h = new History(['messages']);
    for (let i = 0; i < 3; i++) h.record(10_000 + i * 5000, [i === 2 ? 3 : 0]);
    expect(h.rate('messages')).toBe(0.6);
    const d = h.details('messages', { age: 10, incr: 5 }, 20_100);
    expect(d.samples).toEqual([
      { sample: 3, timestamp: 20_000 },
      { sample: 0, timestamp: 15_000 },
      { sample: 0, timestamp: 10_000 },
    ]);
    expect(d.avg).toBe(1);
    expect(d.avg_rate).toBeCloseTo(0.3);
  });

  test('the ring keeps a fixed number of samples; a range beyond it gets those kept', () => {
    const h = new History(['x'], 4);
    for (let i = 0; i < 10; i++) h.record(i * 5000, [i]);
    expect(h.size).toBe(4);
    expect(h.details('x', { age: 600, incr: 5 }, 45_000).samples).toHaveLength(4);
  });

  test('idle once the newest sample equals the one before', () => {
    const h = new History(['x']);
    h.record(0, [1]);
    h.record(5000, [2]);
    expect(h.idle).toBe(false);
    h.record(10_000, [2]);
    expect(h.idle).toBe(true);
    expect(h.lastChange).toBe(5000);
  });

  test('parseRanges reads positive integer age/incr pairs only', () => {
    expect(parseRanges({ lengths_age: '60', lengths_incr: '5', msg_rates_age: 'x', msg_rates_incr: '5' })).toEqual({ lengths: { age: 60, incr: 5 } });
  });
});

describe('recordHistories', () => {
  test('queue lengths, vhost totals from channel deltas and connection bytes', () => {
    const broker = new MessageStats();
    const queue = { messageCount: 2, unackedCount: 1, consumerCount: 1, stats: new MessageStats() };
    const vhost = { name: '/', queues: new Map([['q', queue]]) };
    const channel = { stats: new MessageStats() };
    channel.stats.publish = 4;
    const key = {};
    const connection = { vhost: '/', recvOct: 100, sendOct: 50, channels: () => [channel] };
    recordHistories(5000, broker, [vhost], [{ key, info: connection }]);
    channel.stats.publish = 6;
    recordHistories(10_000, broker, [vhost], [{ key, info: { ...connection, recvOct: 150 } }]);
    expect(vhostTotalsOf(vhost)).toMatchObject({ recvOct: 150, sendOct: 50 });
    expect(vhostTotalsOf(vhost)?.stats.publish).toBe(6);
    expect(vhostHistory(vhost)?.rate('recv_oct')).toBe(10);
    expect(queueHistory(queue)?.details('messages', undefined, 0)).toEqual({ rate: 0 });
    expect(queueHistory(queue)?.mean('consumer_capacity')).toBe(0);
  });
});
