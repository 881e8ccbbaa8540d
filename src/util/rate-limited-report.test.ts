import { RateLimitedReport } from './rate-limited-report';

describe('RateLimitedReport', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function recorder(): { report: RateLimitedReport<string>; lines: Array<[number, string]> } {
    const lines: Array<[number, string]> = [];
    return { report: new RateLimitedReport<string>((count, latest) => lines.push([count, latest]), 1000), lines };
  }

  test('the first occurrence is reported at once', () => {
    const { report, lines } = recorder();
    report.add('a');
    expect(lines).toEqual([[1, 'a']]);
  });

  test('a flood makes one line a second, each with the number it stands for; none is lost', () => {
    const { report, lines } = recorder();
    // 10,000 occurrences over 3.5 s.
    for (let i = 0; i < 10_000; i++) {
      report.add(`p${i}`);
      if (i % 1000 === 999) jest.advanceTimersByTime(350);
    }
    jest.advanceTimersByTime(1000);
    expect(lines.length).toBeLessThanOrEqual(5);
    expect(lines[0]).toEqual([1, 'p0']);
    expect(lines.at(-1)?.[1]).toBe('p9999');
    expect(lines.reduce((sum, [count]) => sum + count, 0)).toBe(10_000);
  });

  test('after a quiet interval the next occurrence is reported at once again', () => {
    const { report, lines } = recorder();
    report.add('a');
    report.add('b');
    jest.advanceTimersByTime(1000);
    expect(lines).toEqual([
      [1, 'a'],
      [1, 'b'],
    ]);
    jest.advanceTimersByTime(1000); // a quiet second: the window closes
    report.add('c');
    expect(lines.at(-1)).toEqual([1, 'c']);
  });

  test('close reports what is still counted and leaves no timer', () => {
    const { report, lines } = recorder();
    report.add('a');
    report.add('b');
    report.add('c');
    report.close();
    expect(lines).toEqual([
      [1, 'a'],
      [2, 'c'],
    ]);
    expect(jest.getTimerCount()).toBe(0);
  });
});
