import { AcceptGate, HTTP_MAX_CONNECTIONS, connectionLimit, descriptorBudget } from './admission';

describe('descriptorBudget', () => {
  test('a usual limit keeps 128 descriptors for the process and up to 256 (an eighth) for HTTP; the rest is for AMQP', () => {
    expect(descriptorBudget(20_000, 1)).toEqual({ amqp: 20_000 - 128 - HTTP_MAX_CONNECTIONS, httpPerListener: 256 });
    expect(descriptorBudget(1024, 1)).toEqual({ amqp: 768, httpPerListener: 128 });
  });

  test('a small limit is shared out in proportion: a quarter for the process, an eighth for HTTP', () => {
    expect(descriptorBudget(256, 1)).toEqual({ amqp: 160, httpPerListener: 32 });
  });

  test('the HTTP share is split between the listeners', () => {
    expect(descriptorBudget(20_000, 2).httpPerListener).toBe(128);
    expect(descriptorBudget(256, 3).httpPerListener).toBe(10);
  });

  test('no AMQP bound when the process limit is unknown; HTTP keeps its own', () => {
    expect(descriptorBudget(undefined, 1)).toEqual({ amqp: Infinity, httpPerListener: HTTP_MAX_CONNECTIONS });
  });
});

describe('connectionLimit', () => {
  test('the setting, capped by the descriptors; infinity means the descriptors alone', () => {
    const budget = descriptorBudget(20_000, 1);
    expect(connectionLimit(100, budget)).toBe(100);
    expect(connectionLimit(0, budget)).toBe(0);
    expect(connectionLimit('infinity', budget)).toBe(budget.amqp);
    expect(connectionLimit(1_000_000, budget)).toBe(budget.amqp);
    expect(connectionLimit('infinity', descriptorBudget(undefined, 1))).toBe(Infinity);
  });
});

describe('AcceptGate', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  test('admits below the limit and refuses at it, reporting the refused peer', () => {
    const reports: Array<[number, string | undefined]> = [];
    const gate = new AcceptGate(2, (count, peer) => reports.push([count, peer]));
    expect([gate.admit(0, '192.0.2.1'), gate.admit(1, '192.0.2.1')]).toEqual([true, true]);
    expect(reports).toEqual([]);
    expect(gate.admit(2, '192.0.2.3')).toBe(false);
    expect(reports).toEqual([[1, '192.0.2.3']]);
    expect(gate.admit(1, '192.0.2.4')).toBe(true);
    gate.close();
  });

  test('a flood of refusals is one report a second with its count', () => {
    const reports: Array<[number, string | undefined]> = [];
    const gate = new AcceptGate(0, (count, peer) => reports.push([count, peer]));
    for (let i = 0; i < 5000; i++) {
      expect(gate.admit(0, `10.0.${i >> 8}.${i & 255}`)).toBe(false);
      if (i % 1000 === 999) jest.advanceTimersByTime(500);
    }
    gate.close();
    expect(reports.length).toBeLessThanOrEqual(4);
    expect(reports.reduce((sum, [count]) => sum + count, 0)).toBe(5000);
  });

  test('an unlimited gate admits everything', () => {
    const gate = new AcceptGate(Infinity, () => {
      throw new Error('no refusal expected');
    });
    expect(gate.admit(1_000_000, undefined)).toBe(true);
  });
});
