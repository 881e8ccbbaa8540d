import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, FIELDS, commandLineAction, loadSettings, usage } from './load';
import { DEFAULT_SETTINGS, type Settings } from './settings';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'leveret-config-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeConfig(content: unknown, name = 'leveret.json'): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

function load(argv: string[] = [], env: NodeJS.ProcessEnv = {}): Settings {
  return loadSettings({ argv, env, cwd: dir });
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('defaults', () => {
  it('are RabbitMQ-like', () => {
    expect(load()).toEqual({
      amqp: { bind: ['127.0.0.1', '::1'], port: 5672 },
      http: { bind: ['127.0.0.1'], port: 15672, maxBodySize: 20 * 1024 * 1024 },
      amqps: { port: 5671 },
      https: { port: 15671 },
      tls: { verifyPeer: false, failIfNoPeerCert: false, certLoginFrom: 'common_name' },
      dataDir: './data',
      defaultUser: 'guest',
      defaultPass: 'guest',
      defaultVhost: '/',
      loopbackUsers: ['guest'],
      frameMax: 131072,
      channelMax: 2047,
      heartbeat: 60,
      consumerTimeout: 1_800_000,
      connectionMax: 'infinity',
      maxMessageSize: 128 * 1024 * 1024,
      consumerMaxPerChannel: 'infinity',
      channelMaxPerNode: 'infinity',
      clusterQueueLimit: 'infinity',
      vhostMax: 'infinity',
      handshakeTimeout: 10_000,
      unauthenticatedConnectionMax: 1000,
      outputBufferMax: 1024 * 1024,
      fieldTableMaxDepth: 64,
      durability: 'fsync',
      memoryHighWatermark: { relative: 0.4 },
      diskFreeLimit: { absolute: 50_000_000 },
      logLevel: 'info',
      storeUrl: 'sqlite',
      nodeName: `leveret@${hostname()}`,
      haLease: 5000,
    });
  });

  it('hands out a fresh copy that does not alias DEFAULT_SETTINGS', () => {
    const s = load();
    s.amqp.bind.push('0.0.0.0');
    s.loopbackUsers.length = 0;
    expect(DEFAULT_SETTINGS.amqp.bind).toEqual(['127.0.0.1', '::1']);
    expect(DEFAULT_SETTINGS.loopbackUsers).toEqual(['guest']);
  });
});

describe('precedence: defaults < file < env < flags', () => {
  it('each layer overrides the one below, key by key', () => {
    const config = writeConfig({
      amqp: { port: 1111, bind: ['0.0.0.0'] },
      heartbeat: 10,
      frameMax: 8192,
      defaultUser: 'from-file',
    });
    const s = load(['--config', config, '--port', '3333'], {
      LEVERET_AMQP_PORT: '2222',
      LEVERET_HEARTBEAT: '20',
      LEVERET_DEFAULT_USER: 'from-env',
    });
    expect(s.amqp).toEqual({ port: 3333, bind: ['0.0.0.0'] }); // flag over env over file; bind from file
    expect(s.heartbeat).toBe(20); // env over file
    expect(s.frameMax).toBe(8192); // file over default
    expect(s.defaultUser).toBe('from-env');
    expect(s.channelMax).toBe(2047); // untouched default
    expect(s.http).toEqual(DEFAULT_SETTINGS.http); // nested group not mentioned in the file
  });

  it('finds the file through LEVERET_CONFIG, relative to cwd; --config wins over it', () => {
    writeConfig({ heartbeat: 5 }, 'a.json');
    writeConfig({ heartbeat: 7 }, 'b.json');
    expect(load([], { LEVERET_CONFIG: 'a.json' }).heartbeat).toBe(5);
    expect(load(['--config=b.json'], { LEVERET_CONFIG: 'a.json' }).heartbeat).toBe(7);
  });

  it('LEVERET_* wins over the RabbitMQ image variables, which still work alone', () => {
    const rabbit = { RABBITMQ_DEFAULT_USER: 'ru', RABBITMQ_DEFAULT_PASS: 'rp', RABBITMQ_DEFAULT_VHOST: 'rv', RABBITMQ_NODE_PORT: '5800' };
    expect(load([], rabbit)).toMatchObject({ defaultUser: 'ru', defaultPass: 'rp', defaultVhost: 'rv', amqp: { port: 5800 } });
    const both = { ...rabbit, LEVERET_DEFAULT_USER: 'lu', LEVERET_DEFAULT_PASS: 'lp', LEVERET_DEFAULT_VHOST: 'lv', LEVERET_AMQP_PORT: '5900' };
    expect(load([], both)).toMatchObject({ defaultUser: 'lu', defaultPass: 'lp', defaultVhost: 'lv', amqp: { port: 5900 } });
  });

  it('treats empty environment variables as unset (docker -e NAME=)', () => {
    expect(load([], { LEVERET_AMQP_PORT: '', RABBITMQ_NODE_PORT: '5801' }).amqp.port).toBe(5801);
    expect(load([], { LEVERET_LOG_LEVEL: '' }).logLevel).toBe('info');
  });

  it('reads every environment variable', () => {
    const s = load([], {
      LEVERET_AMQP_BIND: '0.0.0.0, ::',
      LEVERET_HTTP_PORT: '8080',
      LEVERET_HTTP_BIND: '0.0.0.0',
      LEVERET_DATA_DIR: '/var/lib/leveret',
      LEVERET_LOOPBACK_USERS: 'none',
      LEVERET_FRAME_MAX: '4096',
      LEVERET_CHANNEL_MAX: '65535',
      LEVERET_HEARTBEAT: '0',
      LEVERET_LOG_LEVEL: 'debug',
      LEVERET_LOAD_DEFINITIONS: '/etc/leveret/definitions.json',
    });
    expect(s).toMatchObject({
      amqp: { bind: ['0.0.0.0', '::'] },
      http: { port: 8080, bind: ['0.0.0.0'] },
      dataDir: '/var/lib/leveret',
      loopbackUsers: [],
      frameMax: 4096,
      channelMax: 65535,
      heartbeat: 0,
      logLevel: 'debug',
      loadDefinitions: '/etc/leveret/definitions.json',
    });
  });

  it('reads every flag', () => {
    const s = load([
      '--port=0',
      '--bind', '::1',
      '--http-port', '0',
      '--http-bind', '[::1]',
      '--data-dir', 'state',
      '--default-user', 'admin',
      '--default-pass=-starts-with-dash',
      '--default-vhost', 'prod',
      '--loopback-users', 'guest,ops',
      '--frame-max', '2147483647',
      '--channel-max', '1',
      '--heartbeat', '65535',
      '--consumer-timeout', '0',
      '--connection-max', '500',
      '--http-max-body-size', '2048',
      '--max-message-size', '536870912',
      '--consumer-max-per-channel', '8',
      '--channel-max-per-node', 'Infinity',
      '--cluster-queue-limit', '0',
      '--vhost-max', '3',
      '--handshake-timeout', '100',
      '--unauthenticated-connection-max', '1',
      '--output-buffer-max', '65536',
      '--field-table-max-depth', '1',
      '--durability', 'relaxed',
      '--memory-high-watermark', '1GB',
      '--disk-free-limit', '2.0',
      '--load-definitions', 'defs/rabbit.json',
      '--log-level', 'silent',
      '--amqps-port', '0',
      '--amqps-bind', '127.0.0.1',
      '--https-port', 'off',
      '--https-bind', '127.0.0.1',
      '--tls-cert', 'server.pem',
      '--tls-key', 'server.key',
      '--tls-ca', 'ca.pem',
      '--tls-verify-peer', 'true',
      '--tls-fail-if-no-peer-cert', 'yes',
      '--tls-cert-login-from', 'distinguished_name',
      '--store', 'postgres://leveret:pw@db.example:5433/broker',
      '--node-name', 'rabbit@n1',
      '--ha-lease', '2500',
    ]);
    expect(s).toEqual({
      amqp: { port: 0, bind: ['::1'] },
      http: { port: 0, bind: ['::1'], maxBodySize: 2048 },
      amqps: { port: 0, bind: ['127.0.0.1'] },
      https: { port: 'off', bind: ['127.0.0.1'] },
      tls: { cert: 'server.pem', key: 'server.key', ca: 'ca.pem', verifyPeer: true, failIfNoPeerCert: true, certLoginFrom: 'distinguished_name' },
      dataDir: 'state',
      defaultUser: 'admin',
      defaultPass: '-starts-with-dash',
      defaultVhost: 'prod',
      loopbackUsers: ['guest', 'ops'],
      frameMax: 2147483647,
      channelMax: 1,
      heartbeat: 65535,
      consumerTimeout: 0,
      connectionMax: 500,
      maxMessageSize: 536870912,
      consumerMaxPerChannel: 8,
      channelMaxPerNode: 'infinity',
      clusterQueueLimit: 0,
      vhostMax: 3,
      handshakeTimeout: 100,
      unauthenticatedConnectionMax: 1,
      outputBufferMax: 65536,
      fieldTableMaxDepth: 1,
      durability: 'relaxed',
      memoryHighWatermark: { absolute: 1e9 },
      diskFreeLimit: { relative: 2 },
      loadDefinitions: 'defs/rabbit.json',
      logLevel: 'silent',
      storeUrl: 'postgres://leveret:pw@db.example:5433/broker',
      nodeName: 'rabbit@n1',
      haLease: 2500,
    });
  });

  it('the store is sqlite or a PostgreSQL URL; the node name also comes from RABBITMQ_NODENAME', () => {
    expect(load([]).storeUrl).toBe('sqlite');
    expect(load([]).nodeName).toMatch(/^leveret@./);
    expect(loadSettings({ argv: [], env: { LEVERET_STORE: 'postgresql://127.0.0.1/db', RABBITMQ_NODENAME: 'rabbit@b' } })).toMatchObject({
      storeUrl: 'postgresql://127.0.0.1/db',
      nodeName: 'rabbit@b',
    });
    expect(errorOf(() => load(['--store', 'mysql://x/y'])).message).toBe(
      'invalid value "mysql://x/y" for --store (from command line): expected "sqlite" or a postgres://user@host:port/database URL',
    );
    expect(errorOf(() => load(['--ha-lease', '999'])).message).toBe(
      'invalid value "999" for --ha-lease (from command line): expected an integer 1000-600000',
    );
  });

  it('the limits refuse values out of range, naming the range', () => {
    expect(errorOf(() => load(['--max-message-size', '536870913'])).message).toBe(
      'invalid value "536870913" for --max-message-size (from command line): expected an integer 1-536870912',
    );
    expect(errorOf(() => load(['--consumer-max-per-channel', '0'])).message).toBe(
      'invalid value "0" for --consumer-max-per-channel (from command line): expected an integer 1-2147483647 or "infinity"',
    );
    expect(errorOf(() => load(['--field-table-max-depth', '65'])).message).toBe(
      'invalid value "65" for --field-table-max-depth (from command line): expected an integer 1-64',
    );
    const config = writeConfig({ http: { maxBodySize: 1023 }, clusterQueueLimit: 'infinity' });
    expect(errorOf(() => load(['--config', config])).message).toMatch(
      /for http\.maxBodySize \(from config file .*\): expected an integer 1024-1073741824$/,
    );
    expect(load(['--config', writeConfig({ clusterQueueLimit: 'infinity', vhostMax: 2 }, 'ok.json')])).toMatchObject({
      clusterQueueLimit: 'infinity',
      vhostMax: 2,
    });
  });

  it('--bind is repeatable and takes comma lists; duplicates collapse; a flag replaces env and file', () => {
    const s = load(['--bind', '127.0.0.1,::1', '--bind=10.0.0.1', '--bind', '127.0.0.1'], { LEVERET_AMQP_BIND: '0.0.0.0' });
    expect(s.amqp.bind).toEqual(['127.0.0.1', '::1', '10.0.0.1']);
  });

  it('loadDefinitions: none by default; file key, env and flag in the usual order', () => {
    expect(load().loadDefinitions).toBeUndefined();
    expect(usage()).toMatch(/--load-definitions <file> +definitions file .*; default none\n +env LEVERET_LOAD_DEFINITIONS\n/);
    const config = writeConfig({ loadDefinitions: 'from-file.json' });
    expect(load(['--config', config]).loadDefinitions).toBe('from-file.json');
    expect(load(['--config', config], { LEVERET_LOAD_DEFINITIONS: 'from-env.json' }).loadDefinitions).toBe('from-env.json');
    expect(load(['--config', config, '--load-definitions=from-flag.json'], { LEVERET_LOAD_DEFINITIONS: 'from-env.json' }).loadDefinitions).toBe(
      'from-flag.json',
    );
    expect(errorOf(() => load(['--load-definitions='])).message).toBe(
      'invalid value "" for --load-definitions (from command line): expected a non-empty string',
    );
    const bad = writeConfig({ loadDefinitions: ['a.json'] }, 'bad.json');
    expect(errorOf(() => load(['--config', bad])).message).toMatch(/for loadDefinitions \(from config file .*\): expected a non-empty string$/);
  });

  it('memoryHighWatermark and diskFreeLimit: RabbitMQ\'s defaults; fractions, bytes and units from file, env and flag', () => {
    expect(usage()).toMatch(/--memory-high-watermark <fraction\|bytes> +block publishers .*; default 0.4\n +env LEVERET_MEMORY_HIGH_WATERMARK\n/);
    expect(usage()).toMatch(/--disk-free-limit <bytes\|fraction> +block publishers .*; default 50MB\n +env LEVERET_DISK_FREE_LIMIT\n/);
    const config = writeConfig({ memoryHighWatermark: { absolute: '2GB' }, diskFreeLimit: 1.5 });
    expect(load(['--config', config]).memoryHighWatermark).toEqual({ absolute: 2_000_000_000 });
    expect(load(['--config', config]).diskFreeLimit).toEqual({ relative: 1.5 });
    expect(load(['--config', config], { LEVERET_MEMORY_HIGH_WATERMARK: '0.6' }).memoryHighWatermark).toEqual({ relative: 0.6 });
    expect(load(['--memory-high-watermark', '512MiB']).memoryHighWatermark).toEqual({ absolute: 512 * 1024 ** 2 });
    expect(load(['--disk-free-limit', '1000TB']).diskFreeLimit).toEqual({ absolute: 1e15 });
    expect(load(['--disk-free-limit=50000000']).diskFreeLimit).toEqual({ absolute: 50_000_000 });
    expect(load(['--memory-high-watermark', '4Gi']).memoryHighWatermark).toEqual({ absolute: 4 * 1024 ** 3 });
    expect(load(['--memory-high-watermark', '3k']).memoryHighWatermark).toEqual({ absolute: 3072 });
    expect(load(['--memory-high-watermark', '3kB']).memoryHighWatermark).toEqual({ absolute: 3000 });
    expect(errorOf(() => load(['--memory-high-watermark', '2XB'])).message).toMatch(/expected a fraction such as 0.4, or a size in bytes/);
    expect(errorOf(() => load(['--memory-high-watermark=-0.4'])).message).toMatch(/expected a fraction/);
    expect(errorOf(() => load(['--disk-free-limit', '0.0'])).message).toMatch(/expected a fraction/);
    const bad = writeConfig({ diskFreeLimit: { absolute: 0.5 } });
    expect(errorOf(() => load(['--config', bad])).message).toMatch(/for diskFreeLimit \(from config file .*\): expected a fraction/);
  });

  it('connectionMax: "infinity" by default; a count or "infinity" from file, env and flag', () => {
    expect(usage()).toMatch(/--connection-max <n\|infinity> +most AMQP connections .*; default infinity\n +env LEVERET_CONNECTION_MAX\n/);
    const config = writeConfig({ connectionMax: 100 });
    expect(load(['--config', config]).connectionMax).toBe(100);
    expect(load(['--config', config], { LEVERET_CONNECTION_MAX: 'infinity' }).connectionMax).toBe('infinity');
    expect(load(['--config', config, '--connection-max', '0'], { LEVERET_CONNECTION_MAX: '7' }).connectionMax).toBe(0);
    expect(load(['--connection-max', 'Infinity']).connectionMax).toBe('infinity');
    expect(load(['--config', writeConfig({ connectionMax: 'infinity' }, 'inf.json')]).connectionMax).toBe('infinity');
    expect(errorOf(() => load(['--connection-max=-1'])).message).toBe(
      'invalid value "-1" for --connection-max (from command line): expected an integer 0-2147483647 or "infinity"',
    );
    expect(errorOf(() => load([], { LEVERET_CONNECTION_MAX: 'lots' })).message).toMatch(/for LEVERET_CONNECTION_MAX .*or "infinity"$/);
    const bad = writeConfig({ connectionMax: 1.5 }, 'bad.json');
    expect(errorOf(() => load(['--config', bad])).message).toMatch(/invalid value 1.5 for connectionMax .*or "infinity"$/);
  });

  it('other repeated flags: the last one wins', () => {
    expect(load(['--port', '1', '--port', '2']).amqp.port).toBe(2);
  });

  it('accepts host names as bind addresses', () => {
    expect(load(['--bind', 'localhost']).amqp.bind).toEqual(['localhost']);
  });
});

describe('errors name the source and the key', () => {
  it('bad flag value', () => {
    expect(errorOf(() => load(['--port', 'abc'])).message).toBe(
      'invalid value "abc" for --port (from command line): expected an integer 0-65535 or "off"',
    );
    expect(errorOf(() => load(['--port', '65536'])).message).toMatch(/"65536" for --port .*0-65535/);
    expect(errorOf(() => load(['--port', '1.5'])).message).toMatch(/for --port/);
  });

  it('bad environment value', () => {
    const err = errorOf(() => load([], { LEVERET_HEARTBEAT: '-1' }));
    expect(err.message).toBe('invalid value "-1" for LEVERET_HEARTBEAT (from environment): expected an integer 0-65535');
    expect(err.key).toBe('LEVERET_HEARTBEAT');
    expect(errorOf(() => load([], { RABBITMQ_NODE_PORT: 'x' })).message).toMatch(/for RABBITMQ_NODE_PORT \(from environment\)/);
  });

  it('bad file value, by dotted key', () => {
    const path = writeConfig({ amqp: { port: '5672' } });
    expect(errorOf(() => load(['--config', path])).message).toBe(
      `invalid value "5672" for amqp.port (from config file ${path}): expected an integer 0-65535 or "off"`,
    );
    const bind = writeConfig({ http: { bind: '0.0.0.0' } }, 'bind.json');
    expect(errorOf(() => load(['--config', bind])).message).toMatch(/for http\.bind .*expected a non-empty array/);
    const group = writeConfig({ amqp: 5672 }, 'group.json');
    expect(errorOf(() => load(['--config', group])).message).toMatch(/invalid value 5672 for amqp .*expected an object/);
  });

  it('frame max: range, and 0 ("no limit") rejected with a reason', () => {
    expect(errorOf(() => load(['--frame-max', '4095'])).message).toMatch(/expected an integer 4096-2147483647$/);
    expect(errorOf(() => load(['--frame-max', '2147483648'])).message).toMatch(/for --frame-max/);
    expect(errorOf(() => load(['--frame-max', '0'])).message).toMatch(/--frame-max .*"no limit", is not supported/);
  });

  it('channel max: 1..65535', () => {
    expect(errorOf(() => load([], { LEVERET_CHANNEL_MAX: '0' })).message).toMatch(/LEVERET_CHANNEL_MAX .*1-65535/);
    expect(errorOf(() => load(['--channel-max', '65536'])).message).toMatch(/--channel-max/);
  });

  it('log level must be a pino level', () => {
    expect(errorOf(() => load(['--log-level', 'verbose'])).message).toBe(
      'invalid value "verbose" for --log-level (from command line): expected one of fatal, error, warn, info, debug, trace, silent',
    );
  });

  it('bind addresses must look like addresses', () => {
    expect(errorOf(() => load(['--bind', 'not an address'])).message).toMatch(/for --bind .*IP addresses or host names/);
    expect(errorOf(() => load(['--bind', ','])).message).toMatch(/for --bind/);
    expect(errorOf(() => load([], { LEVERET_HTTP_BIND: '[127.0.0.1' })).message).toMatch(/LEVERET_HTTP_BIND/);
  });

  it('user and vhost names must be non-empty short strings', () => {
    expect(errorOf(() => load(['--default-user='])).message).toMatch(/"" for --default-user .*non-empty/);
    expect(errorOf(() => load(['--default-vhost', 'v'.repeat(256)])).message).toMatch(/at most 255 bytes/);
  });

  it('unknown flag, positional argument, missing value, value on a boolean flag', () => {
    expect(errorOf(() => load(['--prot', '5672'])).message).toBe('unknown option --prot (from command line); see --help');
    expect(errorOf(() => load(['-p'])).message).toMatch(/unknown option -p/);
    expect(errorOf(() => load(['serve'])).message).toBe('unexpected argument "serve" (from command line)');
    expect(errorOf(() => load(['--port'])).message).toMatch(/^missing value for --port/);
    expect(errorOf(() => load(['--port', '--bind', '::1'])).message).toMatch(/^missing value for --port/);
    expect(errorOf(() => load(['--help=yes'])).message).toMatch(/--help takes no value/);
  });

  it('unknown file keys, top level and nested', () => {
    const top = writeConfig({ frame_max: 4096 });
    expect(errorOf(() => load(['--config', top])).message).toBe(`unknown key "frame_max" in config file ${top}`);
    const nested = writeConfig({ amqp: { prot: 1 } }, 'nested.json');
    expect(errorOf(() => load(['--config', nested])).message).toBe(`unknown key "amqp.prot" in config file ${nested}`);
    const flat = writeConfig({ port: 1 }, 'flat.json');
    expect(errorOf(() => load(['--config', flat])).message).toMatch(/unknown key "port"/);
  });

  it('missing, unreadable or malformed config file names the path', () => {
    const missing = join(dir, 'nope.json');
    expect(errorOf(() => load(['--config', missing])).message).toBe(
      `cannot read config file ${missing} (from --config): no such file`,
    );
    expect(errorOf(() => load([], { LEVERET_CONFIG: 'nope.json' })).message).toBe(
      `cannot read config file ${missing} (from LEVERET_CONFIG): no such file`,
    );
    expect(errorOf(() => load(['--config', dir])).message).toMatch(/^cannot read config file .* \(from --config\): /);
    const bad = writeConfig('{ "heartbeat": 1,', 'bad.json');
    expect(errorOf(() => load(['--config', bad])).message).toMatch(new RegExp(`^config file ${bad} is not valid JSON: `));
    const array = writeConfig([1], 'array.json');
    expect(errorOf(() => load(['--config', array])).message).toBe(`config file ${array} must contain a JSON object`);
  });

  it('AMQP and HTTP on the same port', () => {
    expect(errorOf(() => load(['--port', '8000', '--http-port', '8000'])).message).toMatch(/both 8000/);
    expect(load(['--port', '0', '--http-port', '0']).amqp.port).toBe(0);
  });
});

describe('command line action', () => {
  it('help wins, then version, else run', () => {
    expect(commandLineAction(['--bogus', '--help'])).toBe('help');
    expect(commandLineAction(['-h'])).toBe('help');
    expect(commandLineAction(['--version'])).toBe('version');
    expect(commandLineAction(['--port', '1'])).toBe('run');
    expect(commandLineAction(['--', '--help'])).toBe('run');
  });

  it('loadSettings accepts --help and --version without complaint', () => {
    expect(load(['--help', '--version']).amqp.port).toBe(5672);
  });
});

describe('documentation stays in step with the settings table', () => {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  const help = usage();

  it.each(FIELDS.map((f) => [f.flag, f]))('%s is in --help and the README table', (_flag, f) => {
    expect(help).toContain(f.flag);
    const row = readme.split('\n').find((line) => line.startsWith(`| \`${f.flag}`));
    expect(row).toBeDefined();
    for (const name of f.env) expect(row).toContain(name);
    expect(row).toContain(`\`${f.key}\``);
  });
});

describe('TLS and listeners that are off', () => {
  it('TLS settings come from the file, RabbitMQ-named variables and flags', () => {
    const config = writeConfig({ tls: { cert: 'f.pem', key: 'f.key', verifyPeer: true, ca: 'ca.pem' }, amqps: { port: 5999 } });
    const s = load(['--config', config], { RABBITMQ_SSL_KEYFILE: 'env.key', RABBITMQ_SSL_FAIL_IF_NO_PEER_CERT: 'true' });
    expect(s.tls).toEqual({ cert: 'f.pem', key: 'env.key', ca: 'ca.pem', verifyPeer: true, failIfNoPeerCert: true, certLoginFrom: 'common_name' });
    expect(s.amqps.port).toBe(5999);
    expect(load([], { LEVERET_TLS_CERT: 'c', LEVERET_TLS_KEY: 'k', LEVERET_TLS_CA: 'a', RABBITMQ_SSL_VERIFY: 'verify_peer' }).tls.verifyPeer).toBe(true);
    expect(load([], { RABBITMQ_SSL_VERIFY: 'verify_none' }).tls.verifyPeer).toBe(false);
    expect(errorOf(() => load(['--tls-verify-peer', 'maybe'])).message).toBe(
      'invalid value "maybe" for --tls-verify-peer (from command line): expected true or false or verify_peer or verify_none',
    );
  });

  it('a port is off with "off" or "none" (flag, env) or "off" / false (file), for every listener', () => {
    const tls = ['--tls-cert', 'c', '--tls-key', 'k'];
    expect(load(['--port', 'off', ...tls]).amqp.port).toBe('off');
    expect(load(['--http-port', 'none']).http.port).toBe('off');
    expect(load([], { LEVERET_HTTP_PORT: 'OFF' }).http.port).toBe('off');
    expect(load(['--config', writeConfig({ http: { port: false }, https: { port: 'off' } })]).http.port).toBe('off');
    expect(load(['--amqps-port', 'off', '--https-port', 'off', ...tls])).toMatchObject({ amqps: { port: 'off' }, https: { port: 'off' } });
  });

  it('refuses a certificate without its key, verify_peer without a CA, no AMQP listener at all, and shared ports', () => {
    expect(errorOf(() => load(['--tls-cert', 'c'])).message).toBe('TLS needs both a certificate and its key; tls.key (--tls-key) is not set');
    expect(errorOf(() => load(['--tls-key', 'k'])).message).toMatch(/tls.cert \(--tls-cert\) is not set$/);
    expect(errorOf(() => load(['--tls-cert', 'c', '--tls-key', 'k', '--tls-verify-peer', 'true'])).message).toMatch(/needs tls.ca/);
    expect(errorOf(() => load(['--port', 'off'])).message).toMatch(/amqp.port is off and there is no AMQPS listener/);
    expect(errorOf(() => load(['--port', 'off', '--tls-cert', 'c', '--tls-key', 'k', '--amqps-port', 'off'])).message).toBe(
      'both AMQP listeners are off (amqp.port and amqps.port); keep one',
    );
    expect(errorOf(() => load(['--tls-cert', 'c', '--tls-key', 'k', '--amqps-port', '5672'])).message).toBe(
      'amqp.port and amqps.port are both 5672; give them different ports',
    );
    // Without TLS the TLS ports are not used, so they may equal another port.
    expect(load(['--amqps-port', '5672']).amqps.port).toBe(5672);
  });

  it('--help shows that the TLS binds follow the plain ones', () => {
    expect(usage()).toMatch(/--amqps-bind <addr,...> +AMQPS listen addresses; repeatable; default those of --bind\n/);
  });
});
