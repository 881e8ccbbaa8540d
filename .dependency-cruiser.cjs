/**
 * Dependency direction for src/ and admin-ui/src/ (DESIGN.md, "Module layout"). Run by `npm run lint:deps` as part of `npm test`.
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
      name: 'tls-is-a-leaf',
      severity: 'error',
      comment: 'tls/ (certificates, TLS listeners, what a TLS session tells) knows no broker module: it may import util/ only.',
      from: { path: inside('tls'), pathNot: ['\\.test\\.ts$', '/test-support/'] },
      to: { path: outside('tls', 'util') },
    },
    {
      name: 'protocol-is-a-leaf',
      severity: 'error',
      comment: 'protocol/ is a pure codec: it may import util/ only.',
      from: { path: inside('protocol') },
      to: { path: outside('protocol', 'util') },
    },
    {
      name: 'perf-is-a-client',
      severity: 'error',
      comment: 'perf/ (leveret-perf, a load tool for any AMQP 0-9-1 broker) uses the codec only: it may import protocol/ and util/ (its tests also broker.ts).',
      from: { path: inside('perf'), pathNot: ['\\.test\\.ts$'] },
      to: { path: outside('perf', 'protocol', 'util') },
    },
    {
      name: 'perf-tests-start-a-broker',
      severity: 'error',
      comment: "perf/'s tests may also start an in-process broker through broker.ts.",
      from: { path: '^src/perf/.*\\.test\\.ts$' },
      to: { path: outside('perf', 'protocol', 'util'), pathNot: ['^src/broker\\.ts$'] },
    },
    {
      name: 'store-sees-no-domain-objects',
      severity: 'error',
      comment: 'store/ persists records; it may import protocol/ and util/ only (its tests also the shared test-support/).',
      from: { path: inside('store') },
      to: { path: outside('store', 'protocol', 'util', 'test-support') },
    },
    {
      name: 'store-backends-do-not-know-each-other',
      severity: 'error',
      comment: 'store/sqlite/, store/memory/ and store/postgres/ implement the Store interface side by side; none imports another (what they share lives in store/).',
      from: { path: '^src/store/(sqlite|memory|postgres)/' },
      to: { path: '^src/store/(sqlite|memory|postgres)/', pathNot: ['^src/store/$1/'] },
    },
    {
      name: 'store-shared-part-knows-no-backend',
      severity: 'error',
      comment: 'The Store interface, record types and shared helpers in store/ know no backend; store/test-support/ (the contract suite, restartable stores) may.',
      from: { path: '^src/store/[^/]+$' },
      to: { path: '^src/store/(sqlite|memory|postgres)/' },
    },
    {
      name: 'store-backends-only-through-their-entry',
      severity: 'error',
      comment: 'Outside store/, a backend is reached only through its entry file (store/sqlite/index.ts, store/memory/index.ts, store/postgres/index.ts).',
      from: { path: '^src/', pathNot: '^src/store/' },
      to: { path: '^src/store/(sqlite|memory|postgres)/', pathNot: '^src/store/(sqlite|memory|postgres)/index\\.ts$' },
    },
    {
      name: 'store-backends-chosen-by-the-composition-root',
      severity: 'error',
      comment: 'Which store runs is chosen in broker.ts, or active-standby.ts for a node on PostgreSQL (and offered by index.ts); other production code sees the Store interface only. Tests and test-support may build a backend.',
      from: { path: '^src/', pathNot: ['^src/store/', '^src/(broker|main|index|active-standby)\\.ts$', '\\.test\\.ts$', '/test-support/'] },
      to: { path: '^src/store/(sqlite|memory|postgres)/' },
    },
    {
      name: 'production-code-loads-no-test-support',
      severity: 'error',
      comment: 'test-support/ folders hold test fixtures and hooks; they are not built into dist/, so production code never imports them.',
      from: { path: '^src/', pathNot: ['\\.test\\.ts$', '/test-support/'] },
      to: { path: '/test-support/' },
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
      name: 'management-reaches-nothing-below-admin',
      severity: 'error',
      comment:
        'management/ changes and reads the broker only through the administrative service (admin/): besides admin/ it ' +
        'may import the leaves util/, config/, protocol/ (request validation, property encoding) and observability/ ' +
        '(sample ranges, counters, the logger). Its tests and test-support build real registries and are exempt.',
      from: { path: inside('management'), pathNot: ['\\.test\\.ts$', '/test-support/'] },
      to: { path: outside('management', 'admin', 'util', 'config', 'protocol', 'observability') },
    },
    {
      name: 'admin-is-below-management',
      severity: 'error',
      comment: 'admin/ is the service the management API (and a CLI) call: it never imports management/.',
      from: { path: inside('admin') },
      to: { path: inside('management') },
    },
    {
      name: 'admin-reads-connections-through-their-info',
      severity: 'error',
      comment:
        'admin/ sees open connections only as connection/info.ts describes them (the connection registry hands it ' +
        'those); it never imports channel/ or the rest of connection/.',
      from: { path: inside('admin') },
      to: { path: '^src/(channel|connection)/', pathNot: '^src/connection/info\\.ts$' },
    },
    {
      name: 'channel-reaches-its-connection-through-ports',
      severity: 'error',
      comment: 'A channel knows its connection only through the small role interfaces of channel/ports.ts; channel/ never imports connection/.',
      from: { path: inside('channel') },
      to: { path: inside('connection') },
    },
    {
      name: 'connection-uses-the-channel-entry-points',
      severity: 'error',
      comment: 'connection/ builds channels and hands them frames through channel.ts and ports.ts (and counts content with command-assembler.ts); the rooms behind them (publish, delivery, consumer timeout, replies, handlers) are the channel\'s own.',
      from: { path: inside('connection'), pathNot: ['\\.test\\.ts$', '/test-support/'] },
      to: { path: '^src/channel/', pathNot: '^src/channel/(channel|ports|command-assembler)\\.ts$' },
    },
    {
      name: 'queue-parts-are-reached-through-queue',
      severity: 'error',
      comment:
        "queue.ts's parts by role (paging, expiry, dispatch, limits, redelivery, figures) serve Queue; code outside " +
        'queue/ uses Queue (and its options, consumer and message types), not the parts.',
      from: { path: outside('queue'), pathNot: ['\\.test\\.ts$', '/test-support/'] },
      to: { path: '^src/queue/(paging|expiry|dispatch|limits|redelivery|figures)\\.ts$' },
    },
    {
      name: 'cli-talks-only-http',
      severity: 'error',
      comment: 'cli/ (leveret browse, leveret redrive) reaches a running broker through its HTTP API: it imports util/ at most.',
      from: { path: inside('cli') },
      to: { path: outside('cli', 'util') },
    },
    {
      name: 'listeners-belong-to-the-composition-root',
      severity: 'error',
      comment: 'src/listeners.ts (the AMQP, AMQPS and HTTPS listeners and their TLS credentials) is a part of broker.ts, split out for size.',
      from: { path: '^src/', pathNot: ['^src/broker\\.ts$', '\\.test\\.ts$'] },
      to: { path: '^src/listeners\\.ts$' },
    },
    {
      name: 'ha-knows-no-broker-module',
      severity: 'error',
      comment:
        'ha/ (leadership on the lock session, the node loop, the standby HTTP server) is told what to start and stop ' +
        'by active-standby.ts; it imports util/ at most (its tests also the PostgreSQL store, for the schema).',
      from: { path: inside('ha'), pathNot: ['\\.test\\.ts$', '/test-support/'] },
      to: { path: outside('ha', 'util') },
    },
    {
      name: 'composition-root-is-imported-by-no-one',
      severity: 'error',
      comment: 'broker.ts wires modules together and main.ts is the process entry; modules do not import them back.',
      from: { path: '^src/', pathNot: ['^src/(main|index|active-standby)\\.ts$', '\\.test\\.ts$'] },
      to: { path: '^src/(main|broker|active-standby)\\.ts$' },
    },
    {
      name: 'production-code-uses-no-dev-dependencies',
      severity: 'error',
      comment: 'devDependencies are not installed in the Docker image; only tests may use them.',
      from: { path: '^src/', pathNot: ['\\.test\\.ts$', '/test-support/'] },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'admin-ui-talks-only-http',
      severity: 'error',
      comment:
        'The web admin UI (admin-ui/src) is a browser application that reaches the broker only through the HTTP API: ' +
        'it imports its own files and npm packages, never src/.',
      from: { path: '^admin-ui/src/' },
      to: { path: '^(?!admin-ui/src/|node_modules/)' },
    },
    {
      name: 'broker-does-not-import-the-ui',
      severity: 'error',
      comment: 'The broker serves the built UI as files (management/ui.ts); it never imports its source.',
      from: { path: '^src/' },
      to: { path: '^admin-ui/' },
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
      extensions: ['.ts', '.tsx', '.js', '.json', '.d.ts'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
