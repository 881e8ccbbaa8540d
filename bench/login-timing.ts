/**
 * Does a password check tell whether the user exists? Times UserRegistry.authenticate for an existing user with a
 * wrong password and for a user that does not exist, interleaved in small blocks so that both see the same CPU
 * state, and prints the median and the 10th/90th percentiles of each (ns per call).
 *
 *   node -r ./bench/ts-register.cjs bench/login-timing.ts [--rounds 200] [--block 500]
 *
 * The two medians should be within noise of each other (issue 11: they differed by the cost of a hash).
 */
import { UserRegistry } from '../src/auth/users';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at === -1 ? undefined : Number(process.argv[at + 1]);
  return value !== undefined && Number.isSafeInteger(value) && value > 0 ? value : fallback;
}

const rounds = option('rounds', 200);
const block = option('block', 500);

const users = new UserRegistry(new Set());
users.add('app-user', 'correct horse battery staple', []);

function time(name: string, password: string, into: number[]): void {
  for (let i = 0; i < block; i++) {
    const start = process.hrtime.bigint();
    users.authenticate(name, password);
    into.push(Number(process.hrtime.bigint() - start));
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN;
}

const existing: number[] = [];
const missing: number[] = [];
// Warm-up: let V8 optimise both paths before anything is kept.
for (let i = 0; i < 20; i++) {
  time('app-user', 'wrong password', []);
  time('no-such-user', 'wrong password', []);
}
for (let r = 0; r < rounds; r++) {
  // Alternate which path goes first, so neither always runs right after the other.
  if (r % 2 === 0) {
    time('app-user', 'wrong password', existing);
    time('no-such-user', 'wrong password', missing);
  } else {
    time('no-such-user', 'wrong password', missing);
    time('app-user', 'wrong password', existing);
  }
}

for (const [label, samples] of [
  ['existing user, wrong password', existing],
  ['missing user', missing],
] as const) {
  const sorted = [...samples].sort((a, b) => a - b);
  console.log(
    `${label.padEnd(30)} n=${sorted.length}  p10 ${percentile(sorted, 0.1)} ns  median ${percentile(sorted, 0.5)} ns  p90 ${percentile(sorted, 0.9)} ns`,
  );
}
