/**
 * Settings loading: defaults < config file < environment < command-line flags, validated once at boot.
 *
 * Every setting is one row in FIELDS (flag, environment variables, file key, value kind), so the parser, the
 * validation messages and the --help text cannot drift apart. Errors are ConfigErrors whose message names the
 * offending source and key, e.g.
 *   invalid value "abc" for --port (from command line): expected an integer 0-65535
 */
import { resolve } from 'node:path';
import { parseCommandLine } from './command-line';
import { ConfigError, FROM_CLI, FROM_ENV, fromFile, invalid } from './errors';
import { CONFIG_ENV, CONFIG_FLAG, FIELDS, showList } from './fields';
import { fileEntries, readConfigFile } from './file';
import { DEFAULT_SETTINGS, defaultSettings, tlsEnabled, type Settings } from './settings';

export { commandLineAction } from './command-line';
export { ConfigError } from './errors';
export { CONFIG_ENV, CONFIG_FLAG, FIELDS } from './fields';

export interface LoadInput {
  argv: string[];
  env: NodeJS.ProcessEnv;
  /** Base for a relative --config / LEVERET_CONFIG path; defaults to process.cwd(). */
  cwd?: string;
}

/**
 * Builds the settings for one broker process: defaults, then the JSON config file (--config or LEVERET_CONFIG),
 * then environment variables, then command-line flags. Throws ConfigError on the first problem found.
 * --help and --version are accepted and ignored here; see commandLineAction.
 */
export function loadSettings(input: LoadInput): Settings {
  const { argv, env } = input;
  const cwd = input.cwd ?? process.cwd();
  const cli = parseCommandLine(argv);
  const settings = defaultSettings();

  const envConfig = nonEmpty(env[CONFIG_ENV]);
  const configPath = cli.configPath ?? envConfig;
  if (configPath !== undefined) {
    const via = cli.configPath !== undefined ? CONFIG_FLAG : CONFIG_ENV;
    const path = resolve(cwd, configPath);
    for (const [f, value] of fileEntries(readConfigFile(path, via), path)) {
      const parsed = f.kind.fromJson(value);
      if (!parsed.ok) throw invalid(value, f.key, fromFile(path), parsed.expected);
      f.set(settings, parsed.value);
    }
  }

  for (const f of FIELDS) {
    for (const name of f.env) {
      const raw = nonEmpty(env[name]);
      if (raw === undefined) continue;
      const parsed = f.kind.fromString(raw);
      if (!parsed.ok) throw invalid(raw, name, FROM_ENV, parsed.expected);
      f.set(settings, parsed.value);
      break;
    }
  }

  for (const f of FIELDS) {
    const raws = cli.values.get(f.flag.slice(2));
    if (raws === undefined) continue;
    const parsedValues: unknown[] = [];
    for (const raw of f.repeatable ? raws : raws.slice(-1)) {
      const parsed = f.kind.fromString(raw);
      if (!parsed.ok) throw invalid(raw, f.flag, FROM_CLI, parsed.expected);
      parsedValues.push(parsed.value);
    }
    f.set(settings, f.repeatable ? [...new Set((parsedValues as string[][]).flat())] : parsedValues[0]);
  }

  checkCombination(settings);
  return settings;
}

/** Docker passes `-e NAME=` as an empty string; treat it as unset. */
function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function checkCombination(s: Settings): void {
  if (s.amqp.port !== 0 && s.amqp.port !== 'off' && s.amqp.port === s.http.port) {
    throw new ConfigError(
      `the AMQP port and the HTTP port are both ${s.amqp.port}; give them different ports`,
      undefined,
      'amqp.port',
    );
  }
  checkTls(s);
}

/** TLS needs a certificate and its key together; verify_peer needs the CA; some AMQP listener must remain. */
function checkTls(s: Settings): void {
  if ((s.tls.cert === undefined) !== (s.tls.key === undefined)) {
    const missing = s.tls.cert === undefined ? 'tls.cert (--tls-cert)' : 'tls.key (--tls-key)';
    throw new ConfigError(`TLS needs both a certificate and its key; ${missing} is not set`, undefined, s.tls.cert === undefined ? 'tls.cert' : 'tls.key');
  }
  const on = tlsEnabled(s);
  if (on && s.tls.verifyPeer && s.tls.ca === undefined) {
    throw new ConfigError('tls.verifyPeer (--tls-verify-peer) needs tls.ca (--tls-ca): the CA client certificates must chain to', undefined, 'tls.ca');
  }
  if (s.amqp.port === 'off' && (!on || s.amqps.port === 'off')) {
    throw new ConfigError(
      on
        ? 'both AMQP listeners are off (amqp.port and amqps.port); keep one'
        : 'amqp.port is off and there is no AMQPS listener without tls.cert and tls.key; keep one AMQP listener',
      undefined,
      'amqp.port',
    );
  }
  if (on) {
    const ports = [
      ['amqp.port', s.amqp.port],
      ['http.port', s.http.port],
      ['amqps.port', s.amqps.port],
      ['https.port', s.https.port],
    ] as const;
    for (let i = 0; i < ports.length; i++) {
      for (let j = i + 1; j < ports.length; j++) {
        const [a, pa] = ports[i]!;
        const [b, pb] = ports[j]!;
        if (typeof pa === 'number' && pa !== 0 && pa === pb) {
          throw new ConfigError(`${a} and ${b} are both ${pa}; give them different ports`, undefined, b);
        }
      }
    }
  }
}

/** The --help text, generated from the settings table. */
export function usage(): string {
  const rows: [string, string, string | undefined][] = FIELDS.map((f) => {
    const def = f.get(DEFAULT_SETTINGS);
    const shown =
      f.shownDefault ?? (def === undefined ? 'none' : Array.isArray(def) ? showList(def as string[]) : String(def));
    return [`${f.flag} ${f.meta}`, `${f.help}; default ${shown}`, `env ${f.env.join(', ')}`];
  });
  rows.push([`${CONFIG_FLAG} <file>`, 'JSON settings file, keys nested as in the README', `env ${CONFIG_ENV}`]);
  rows.push(['-h, --help', 'print this help and exit', undefined]);
  rows.push(['--version', 'print the version and exit', undefined]);
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  const lines = rows.flatMap(([left, right, env]) => {
    const first = `  ${left.padEnd(width)}${right}`;
    return env === undefined ? [first] : [first, `  ${''.padEnd(width)}${env}`];
  });
  return [
    'Usage: leveret [options]',
    '',
    'An AMQP 0-9-1 message broker. Settings: defaults < config file < environment < flags.',
    '',
    'Options:',
    ...lines,
    '',
  ].join('\n');
}
