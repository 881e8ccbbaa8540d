import { BACKLOG_AGE_MS, compareHealth, healthState, rankHealth, timeToEmpty, type HealthInputs, type QueueHealthRow } from './health';

const base: HealthInputs = { ready: 100, consumers: 1, oldestAgeMs: 1_000, outflowRate: 30, inflowRate: 10, windowSeconds: 60 };
const at = (over: Partial<HealthInputs>): HealthInputs => ({ ...base, ...over });

describe('time to empty: ready / (outflow - inflow) over the last minute', () => {
  test('draining: 100 ready at a net 20/s empties in 5 s', () => {
    expect(timeToEmpty(base)).toBe(5);
  });
  test('empty is 0, even without consumers or history', () => {
    expect(timeToEmpty(at({ ready: 0, consumers: 0, windowSeconds: 0 }))).toBe(0);
  });
  test('null when not draining: no consumers, growing, holding steady, or no history yet', () => {
    expect(timeToEmpty(at({ consumers: 0 }))).toBeNull();
    expect(timeToEmpty(at({ inflowRate: 40 }))).toBeNull();
    expect(timeToEmpty(at({ inflowRate: 30 }))).toBeNull();
    expect(timeToEmpty(at({ windowSeconds: 0 }))).toBeNull();
  });
  test('rounded to a tenth of a second', () => {
    expect(timeToEmpty(at({ ready: 10, outflowRate: 3, inflowRate: 0 }))).toBe(3.3);
  });
});

describe('state rules, the first that applies', () => {
  test('ok: nothing ready (whatever else), or going out in time', () => {
    expect(healthState(at({ ready: 0, consumers: 0, outflowRate: 0 }), 0)).toBe('ok');
    expect(healthState(base, 5)).toBe('ok');
  });
  test('no_consumers: ready messages and no consumer', () => {
    expect(healthState(at({ consumers: 0, oldestAgeMs: 10 * BACKLOG_AGE_MS }), null)).toBe('no_consumers');
  });
  test('stalled: consumers, nothing left over the window, and the oldest waited through it', () => {
    expect(healthState(at({ outflowRate: 0, oldestAgeMs: 60_000 }), null)).toBe('stalled');
    // A message younger than the window may just have arrived: not stalled (yet).
    expect(healthState(at({ outflowRate: 0, oldestAgeMs: 59_999 }), null)).toBe('ok');
    // No history: no judgement of stalling.
    expect(healthState(at({ outflowRate: 0, oldestAgeMs: 30_000, windowSeconds: 0 }), null)).toBe('ok');
  });
  test('backlog: the oldest waited a minute, or emptying takes more than a minute', () => {
    expect(healthState(at({ oldestAgeMs: BACKLOG_AGE_MS }), 5)).toBe('backlog');
    expect(healthState(base, 61)).toBe('backlog');
    expect(healthState(base, 60)).toBe('ok');
  });
});

describe('worst first', () => {
  const row = (name: string, state: QueueHealthRow['leveret_health']['state'], age: number, tte: number | null, util = 1): QueueHealthRow => ({
    name,
    vhost: '/',
    messages_ready: tte === 0 ? 0 : 5,
    consumers: 1,
    leveret_health: { oldest_ready_age_ms: age, consumer_utilisation: util, time_to_empty_s: tte, state },
  });
  const rows = [row('a', 'ok', 10, 0), row('b', 'backlog', 90_000, 120, 0.5), row('c', 'stalled', 70_000, null, 0), row('d', 'no_consumers', 5_000, null, 0.2), row('e', 'backlog', 95_000, 30, 0.9)];
  test('by state, then the oldest first', () => {
    expect(rankHealth(rows, 'worst').map((r) => r.name)).toEqual(['c', 'd', 'e', 'b', 'a']);
    expect(compareHealth(rows[0]!.leveret_health, rows[0]!.leveret_health)).toBe(0);
  });
  test('by one figure', () => {
    expect(rankHealth(rows, 'oldest_ready_age_ms').map((r) => r.name)).toEqual(['e', 'b', 'c', 'd', 'a']);
    // Not draining with messages ready first, then the longest, empty last.
    expect(rankHealth(rows, 'time_to_empty_s').map((r) => r.name)).toEqual(['c', 'd', 'b', 'e', 'a']);
    expect(rankHealth(rows, 'consumer_utilisation').map((r) => r.name)).toEqual(['c', 'd', 'b', 'e', 'a']);
  });
});
