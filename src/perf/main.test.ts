import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

function perf(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['-r', './conformance-tests/support/ts-register.cjs', 'src/perf/main.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the leveret-perf command', () => {
  test('a bad flag: exit 2 with one line on stderr', () => {
    const r = perf('-x', 'many');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("leveret-perf: -x needs a non-negative integer, got 'many'\n");
    expect(r.stdout).toBe('');
  });

  test('--help lists the flags and exits 0', () => {
    const r = perf('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage: leveret-perf/);
    expect(r.stdout).toContain('-c, --confirm N');
  });

  test('no broker listening: a summary with the error, exit 1', () => {
    const r = perf('--uri', 'amqp://guest:guest@127.0.0.1:1', '-z', '1');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^summary: .*error: .*ECONNREFUSED/m);
  });
});
