import { openFilesLimit } from './open-files';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            20000                524288               files
Max locked memory         8388608              8388608              bytes
`;

describe('openFilesLimit', () => {
  test('is the soft limit of "Max open files" in /proc/self/limits', () => {
    expect(openFilesLimit(() => LIMITS)).toBe(20000);
  });

  test('is undefined when unlimited, missing, or the file cannot be read (not Linux)', () => {
    expect(openFilesLimit(() => LIMITS.replace('20000     ', 'unlimited '))).toBeUndefined();
    expect(openFilesLimit(() => 'Limit Soft Limit Hard Limit Units\n')).toBeUndefined();
    expect(
      openFilesLimit(() => {
        throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
      }),
    ).toBeUndefined();
  });

  (process.platform === 'linux' ? test : test.skip)('reads this process’s own limit on Linux', () => {
    const limit = openFilesLimit();
    expect(Number.isSafeInteger(limit)).toBe(true);
    expect(limit).toBeGreaterThan(0);
  });
});
