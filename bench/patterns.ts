/**
 * Micro-benchmark of user-written regular expressions on the paths that run them: permission checks (every declare
 * and bind, and a connection's first publish to an exchange), topic permissions (every publish to a topic exchange
 * once any exists) and policy matching (every queue declare). Nanoseconds per check, the best of 15 rounds.
 *
 *   node -r ./bench/ts-register.cjs bench/patterns.ts [OTHER_CHECKOUT]
 *
 * With another checkout (e.g. `git archive <commit> src | tar -x -C /tmp/old`, node_modules linked), its
 * src/ runs the same cases in alternate rounds, so both see the same machine load; the table has both columns.
 */
import { resolve } from 'node:path';

const NAMES = ['amq.gen-JzTY20BRgKO-HjmUJj0wLg', 'orders.created', 'billing.invoice.v2', 'some.queue.name.that.is.longer'];
const ORDERS = ['orders.created', 'orders.paid', 'orders.eu.shipped', 'orders.us.cancelled.late'];
const PERMISSIONS: Record<string, string> = {
  all: '.*',
  prefix: '^amq\\.gen-.*',
  alternation: '^(orders|billing)\\..*$',
  lookahead: '^(?!amq\\.).*',
};
const ROUNDS = 15;
const N = 100_000;

interface Case {
  readonly label: string;
  readonly names: readonly string[];
  readonly run: (name: string) => unknown;
}

/** The cases, on the modules of the checkout at `root`. */
function cases(root: string): Case[] {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { AccessControl } = require(resolve(root, 'src/auth/access')) as typeof import('../src/auth/access');
  const { MemoryStore } = require(resolve(root, 'src/store/memory')) as typeof import('../src/store/memory');
  const { compilePolicy, queuePolicy } = require(resolve(root, 'src/vhost/policies')) as typeof import('../src/vhost/policies');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const access = new AccessControl(new MemoryStore(), new Set());
  for (const [user, pattern] of Object.entries(PERMISSIONS)) {
    access.setPermission({ user, vhost: '/', configure: pattern, write: pattern, read: pattern });
  }
  access.setTopicPermission({ user: 'all', vhost: '/', exchange: 'amq.topic', write: '^orders\\.', read: '.*' });
  access.setTopicPermission({ user: 'prefix', vhost: '/', exchange: 'amq.topic', write: '^{username}\\.', read: '.*' });
  const policies = [
    compilePolicy('ha', { pattern: '^ha\\.', 'apply-to': 'queues', definition: { 'max-length': 10 }, priority: 0 }),
    compilePolicy('ttl', { pattern: '^(orders|billing)\\.', 'apply-to': 'all', definition: { 'message-ttl': 1000 }, priority: 1 }),
    compilePolicy('rest', { pattern: '.*', 'apply-to': 'all', definition: { expires: 100000 }, priority: -1 }),
  ].filter((p) => p !== undefined);
  return [
    ...Object.entries(PERMISSIONS).map(([user, pattern]) => ({
      label: `access.allows  ${pattern}`,
      names: NAMES,
      run: (name: string) => access.allows(user, '/', 'configure', name),
    })),
    // Allowed keys only: a refusal's cost is the AmqpError (a stack trace), not the pattern.
    { label: 'access.checkTopic  ^orders\\.', names: ORDERS, run: (key: string) => access.checkTopic('all', '/', 'amq.topic', 'write', key) },
    {
      label: 'access.checkTopic  ^{username}\\.',
      names: ORDERS.map((k) => `prefix.${k}`),
      run: (key: string) => access.checkTopic('prefix', '/', 'amq.topic', 'write', key),
    },
    { label: 'queuePolicy  3 policies', names: NAMES, run: (name: string) => queuePolicy(policies, name, false) },
  ];
}

/**
 * Names as the broker sees them: decoded from a frame each time, so each is a fresh string whose hash V8 has not
 * computed yet (as for a Map lookup on a name from the wire).
 */
function fresh(names: readonly string[]): string[] {
  const bytes = names.map((n) => Buffer.from(n, 'utf8'));
  return Array.from({ length: N }, (_, i) => (bytes[i % bytes.length] as Buffer).toString('utf8'));
}

function round(c: Case): number {
  const inputs = fresh(c.names);
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) c.run(inputs[i] as string);
  return Number(process.hrtime.bigint() - start) / N;
}

const roots = [resolve(__dirname, '..'), ...process.argv.slice(2).map((p) => resolve(p))];
const suites = roots.map(cases);
console.log(`${'ns per check'.padEnd(44)}${roots.map((r) => r.slice(-14).padStart(16)).join('')}`);
for (let i = 0; i < (suites[0] as Case[]).length; i++) {
  const best = suites.map(() => Infinity);
  for (let r = 0; r <= ROUNDS; r++) {
    suites.forEach((suite, s) => {
      const ns = round(suite[i] as Case);
      if (r > 0) best[s] = Math.min(best[s] as number, ns); // round 0 warms up
    });
  }
  console.log(`${(suites[0]?.[i] as Case).label.padEnd(44)}${best.map((b) => b.toFixed(1).padStart(16)).join('')}`);
}
