import { History, fillMissingSamples, parseRanges, recordHistories, queueHistory, vhostHistory, vhostTotalsOf } from './history';
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

describe('fillMissingSamples', () => {
  const NOW = 1_700_000_003_000;
  const ranges = parseRanges({ lengths_age: '60', lengths_incr: '5', msg_rates_age: '30', msg_rates_incr: '10' });

  test('a figure with only a rate gets a straight line of samples over its range, newest first', () => {
    const json = { fd_used: 40, fd_used_details: { rate: 0 }, message_stats: { publish: 100, publish_details: { rate: 2 } } };
    fillMissingSamples(json, ranges, NOW);
    const fd = json.fd_used_details as unknown as { samples: Array<{ sample: number; timestamp: number }>; avg: number; avg_rate: number };
    expect(fd.samples).toHaveLength(13);
    expect(fd.samples[0]).toEqual({ sample: 40, timestamp: 1_700_000_000_000 });
    expect(fd.samples[12]).toEqual({ sample: 40, timestamp: 1_700_000_000_000 - 60_000 });
    expect(fd.avg).toBe(40);
    expect(fd.avg_rate).toBe(0);
    // message_stats take msg_rates: 30 s in steps of 10 s, going back at the current rate of 2/s.
    const publish = json.message_stats.publish_details as unknown as { samples: Array<{ sample: number }>; avg_rate: number };
    expect(publish.samples.map((s) => s.sample)).toEqual([100, 80, 60, 40]);
    expect(publish.avg_rate).toBe(2);
  });

  test('details that came with samples, figures that are not numbers, and requests without a range are left alone', () => {
    const kept = { samples: [{ sample: 1, timestamp: 5 }], rate: 0, avg: 1, avg_rate: 0 };
    const json = { messages: 1, messages_details: kept, state_details: { rate: 0 }, state: 'running' };
    fillMissingSamples(json, ranges, NOW);
    expect(json.messages_details).toBe(kept);
    expect(json.messages_details.samples).toEqual([{ sample: 1, timestamp: 5 }]);
    expect(json.state_details).toEqual({ rate: 0 });
    const plain = { fd_used: 3, fd_used_details: { rate: 0 } };
    fillMissingSamples(plain, {}, NOW);
    expect(plain.fd_used_details).toEqual({ rate: 0 });
  });
});
