/**
 * Dependency direction for src/ (DESIGN.md, "Module layout"). Run by `npm run lint:deps` as part of `npm test`.
 *
 * Type-only imports count: a module that may not import another may not import its types either. Cycles are
 * errors when every edge in them exists at run time; a cycle closed by an `import type` (e.g. a handler naming
 * the Channel type it is called with) is allowed, because it cannot change module load order.
 * Generated code (src/protocol/generated/) is checked like everything else.
 */

/** Files under src/<dir>/. */
const inside = (dir) => `^src/${dir}/`;
/** Any file under src/ outside the listed directories. */
const outside = (...dirs) => `^src/(?!(?:${dirs.join('|')})/)`;

module.exports = {
  forbidden: [
    {
      name: 'no-runtime-cycles',
      severity: 'error',
      comment: 'Circular imports make load order matter. Break the cycle with an interface or an `import type`.',
      from: { path: '^src/' },
      to: {
        circular: true,
        dependencyTypesNot: ['type-only'],
        viaOnly: { dependencyTypesNot: ['type-only'] },
      },
    },
    {
      name: 'util-is-a-leaf',
      severity: 'error',
      comment: 'util/ holds generic structures with no broker knowledge: it imports no other src module.',
      from: { path: inside('util') },
      to: { path: outside('util') },
    },
    {
      name: 'config-is-a-leaf',
      severity: 'error',
      comment: 'config/ may import util/ only.',
      from: { path: inside('config') },
      to: { path: outside('config', 'util') },
    },
    {
      name: 'protocol-is-a-leaf',
      severity: 'error',
      comment: 'protocol/ is a pure codec: it may import util/ only.',
      from: { path: inside('protocol') },
      to: { path: outside('protocol', 'util') },
    },
    {
      name: 'store-sees-no-domain-objects',
      severity: 'error',
      comment: 'store/ persists records; it may import protocol/ and util/ only.',
      from: { path: inside('store') },
      to: { path: outside('store', 'protocol', 'util') },
    },
    {
      name: 'delayed-sees-only-the-store',
      severity: 'error',
      comment: 'delayed/ holds messages in the Store and hands them to a deliver callback; it may import store/, protocol/ and util/ only.',
      from: { path: inside('delayed') },
      to: { path: outside('delayed', 'store', 'protocol', 'util') },
    },
    {
      name: 'dedup-is-a-leaf',
      severity: 'error',
      comment: 'dedup/ is a cache and argument parsing over field tables: it may import protocol/ and util/ only.',
      from: { path: inside('dedup') },
      to: { path: outside('dedup', 'protocol', 'util') },
    },
    {
      name: 'exchange-does-not-know-queues-or-channels',
      severity: 'error',
      comment: 'Exchange types and the router answer "which destinations match"; they never import queue/, channel/ or connection/.',
      from: { path: inside('exchange') },
      to: { path: '^src/(queue|channel|connection)/' },
    },
    {
      name: 'queue-delivers-through-an-interface',
      severity: 'error',
      comment: 'queue/ delivers through its own Consumer interface; it never imports channel/ or connection/.',
      from: { path: inside('queue') },
      to: { path: '^src/(channel|connection)/' },
    },
    {
      name: 'composition-root-is-imported-by-no-one',
      severity: 'error',
      comment: 'broker.ts wires modules together and main.ts is the process entry; modules do not import them back.',
      from: { path: '^src/', pathNot: ['^src/(main|index)\\.ts$', '\\.test\\.ts$'] },
      to: { path: '^src/(main|broker)\\.ts$' },
    },
    {
      name: 'production-code-uses-no-dev-dependencies',
      severity: 'error',
      comment: 'devDependencies are not installed in the Docker image; only tests may use them.',
      from: { path: '^src/', pathNot: ['\\.test\\.ts$', '/test-support/'] },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-unresolvable-imports',
      severity: 'error',
      comment: 'An import that resolves to nothing on disk.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.json', '.d.ts'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
