import { History, connectionByteRates, fillMissingSamples, parseRanges, recordHistories, queueHistory, vhostHistory, vhostTotalsOf } from './history';
import { GLOBAL_TIERS, QUEUE_TIERS } from './history-tiers';
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

  test('the newest sample answered is the newest recorded: between samples, no point repeats the last value', () => {
    const h = new History(['published']);
    h.record(80_000, [1000]);
    h.record(85_000, [3000]);
    // 7 s later the next sample (90,000) is not taken yet: the answer ends at 85,000, so the last rate is not 0.
    const d = h.details('published', { age: 10, incr: 5 }, 92_000);
    expect(d.samples).toEqual([
      { sample: 3000, timestamp: 85_000 },
      { sample: 1000, timestamp: 80_000 },
    ]);
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

describe('retention tiers', () => {
  const DAY = 86_400_000;
  const START = 1_700_000_000_000 - (1_700_000_000_000 % DAY);

  /** A day of 5 s samples of a running total growing 2 a second, and a length that stays at 7. */
  function dayOf(plan: typeof GLOBAL_TIERS): History {
    const h = new History(['publish', 'messages'], plan);
    for (let t = START; t <= START + DAY; t += 5000) h.record(t, [((t - START) / 1000) * 2, 7]);
    return h;
  }

  test('the last day at 1800 s: 49 samples, newest first, aligned to the increment, values as recorded', () => {
    const h = dayOf(GLOBAL_TIERS);
    const d = h.details('publish', { age: 86_400, incr: 1800 }, START + DAY + 1234);
    expect(d.samples).toHaveLength(49);
    expect(d.samples?.[0]).toEqual({ sample: 172_800, timestamp: START + DAY });
    expect(d.samples?.[48]).toEqual({ sample: 0, timestamp: START });
    for (const s of d.samples ?? []) expect(s.timestamp % 1_800_000).toBe(0);
    expect(d.avg_rate).toBe(2);
    expect(h.details('messages', { age: 28_800, incr: 600 }, START + DAY).samples?.every((s) => s.sample === 7)).toBe(true);
  });

  test('every UI range is filled on a queue history; finer steps than a tier keeps are drawn between its samples', () => {
    const h = dayOf(QUEUE_TIERS);
    for (const [age, incr] of [[60, 5], [600, 5], [3600, 60], [28_800, 600], [86_400, 1800]] as const) {
      const samples = h.details('publish', { age, incr }, START + DAY).samples ?? [];
      expect(samples).toHaveLength(age / incr + 1);
      // The running total grows 2 a second, so each sample is twice its seconds since START: exact from kept
      // samples, and exact between them (ten minutes at 5 s reaches back past the one minute kept at 5 s).
      for (const s of samples) expect(s.sample).toBe(((s.timestamp - START) / 1000) * 2);
    }
  });

  test('an unchanging figure keeps one sample per coarse tier, yet answers the whole day', () => {
    const h = new History(['messages'], QUEUE_TIERS);
    for (let t = START; t <= START + DAY; t += 5000) h.record(t, [3]);
    // 13 samples of 1 figure at 5 s (8 + 8 bytes each), 2 slots per coarse tier (8 + 4) and its newest sample (8).
    expect(h.bytes).toBe(13 * 16 + 3 * (2 * 12 + 8));
    const samples = h.details('messages', { age: 86_400, incr: 1800 }, START + DAY).samples ?? [];
    expect(samples).toHaveLength(49);
    expect(samples.every((s) => s.sample === 3)).toBe(true);
  });

  test('a change between coarse samples shows at the interval where it happened, not before', () => {
    const h = new History(['messages'], QUEUE_TIERS);
    const changeAt = START + 3_600_000 + 30_000;
    for (let t = START; t <= START + 7_200_000; t += 5000) h.record(t, [t < changeAt ? 0 : 10]);
    const samples = h.details('messages', { age: 7200, incr: 60 }, START + 7_200_000).samples ?? [];
    const at = (t: number): number | undefined => samples.find((s) => s.timestamp === t)?.sample;
    expect(at(START + 3_540_000)).toBe(0);
    expect(at(START + 3_600_000)).toBe(0);
    expect(at(START + 3_660_000)).toBe(10);
    expect(at(START)).toBe(0);
  });

  test('after hours idle, a change just before the kept minute starts shows there, not spread over the hours', () => {
    const h = new History(['messages'], QUEUE_TIERS);
    const changeAt = START + 5 * 3_600_000 + 10_000;
    for (let t = START; t <= changeAt + 90_000; t += 5000) h.record(t, [t < changeAt ? 0 : 10]);
    const samples = h.details('messages', { age: 86_400, incr: 1800 }, changeAt + 90_000).samples ?? [];
    // At 5 h the 60 s tier still saw 0; the half hours before it too.
    expect(samples.filter((s) => s.timestamp <= START + 5 * 3_600_000).every((s) => s.sample === 0)).toBe(true);
    const minute = h.details('messages', { age: 120, incr: 5 }, changeAt + 90_000).samples ?? [];
    expect(minute.find((s) => s.timestamp === START + 5 * 3_600_000)?.sample).toBe(0);
    expect(minute[0]?.sample).toBe(10);
  });

  test('running totals far past 2^32 stay exact in the coarse tiers (differences under 2^24 an interval)', () => {
    const h = new History(['publish'], QUEUE_TIERS);
    const total = (t: number): number => 5e9 + ((t - START) / 1000) * 9_000;
    for (let t = START; t <= START + DAY; t += 5000) h.record(t, [total(t)]);
    for (const [age, incr] of [[3600, 60], [86_400, 1800]] as const) {
      for (const s of h.details('publish', { age, incr }, START + DAY).samples ?? []) expect(s.sample).toBe(total(s.timestamp));
    }
  });

  test('memory is bounded by the plan, however many samples are recorded', () => {
    const h = new History(['a', 'b'], QUEUE_TIERS);
    let i = 0;
    for (let t = START; t <= START + 2 * DAY; t += 5000) h.record(t, [i++, i]);
    const [fine, ...coarse] = QUEUE_TIERS;
    const coarseSlots = coarse.reduce((sum, tier) => sum + tier.samples, 0);
    // Dense: a time and 2 figures in 64 bits; coarse: a time, 2 differences in 32 bits, and each tier's newest whole.
    expect(h.bytes).toBe((fine?.samples ?? 0) * (8 + 2 * 8) + coarseSlots * (8 + 2 * 4) + coarse.length * 2 * 8);
    // Still exact: the running total of 'a' is its sample number, past 2^24 differences or not.
    const day = h.details('a', { age: 86_400, incr: 1800 }, START + 2 * DAY).samples ?? [];
    for (const s of day) expect(s.sample).toBe((s.timestamp - START) / 5000);
  });
});

describe('connectionByteRates', () => {
  test("a connection's byte rates over the last sample interval; none before its second sample", () => {
    const broker = new MessageStats();
    const vhost = { name: 'rates', queues: new Map() };
    const key = {};
    expect(connectionByteRates(key)).toEqual({ recv: 0, send: 0 });
    recordHistories(5000, broker, [vhost], [{ key, info: { vhost: 'rates', recvOct: 1000, sendOct: 50 } }]);
    expect(connectionByteRates(key)).toEqual({ recv: 0, send: 0 });
    recordHistories(10_000, broker, [vhost], [{ key, info: { vhost: 'rates', recvOct: 6000, sendOct: 550 } }]);
    expect(connectionByteRates(key)).toEqual({ recv: 1000, send: 100 });
    recordHistories(15_000, broker, [vhost], [{ key, info: { vhost: 'rates', recvOct: 6000, sendOct: 550 } }]);
    expect(connectionByteRates(key)).toEqual({ recv: 0, send: 0 });
  });
});
