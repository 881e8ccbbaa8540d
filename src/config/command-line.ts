/**
 * The command line: flags parsed against the settings table, with refusals that name the flag at fault.
 */
import { parseArgs } from 'node:util';
import { ConfigError, FROM_CLI } from './errors';
import { FIELDS } from './fields';

export interface CommandLine {
  /** Raw flag values in order of appearance, keyed by flag name without the dashes. */
  values: Map<string, string[]>;
  configPath: string | undefined;
  help: boolean;
  version: boolean;
}

const FIELD_BY_FLAG = new Map(FIELDS.map((f) => [f.flag.slice(2), f]));

export function parseCommandLine(argv: string[]): CommandLine {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    config: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean' },
  };
  for (const name of FIELD_BY_FLAG.keys()) options[name] = { type: 'string' };

  const { tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  const out: CommandLine = { values: new Map(), configPath: undefined, help: false, version: false };
  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue;
    if (token.kind === 'positional') {
      throw new ConfigError(`unexpected argument ${JSON.stringify(token.value)} (from ${FROM_CLI})`, FROM_CLI);
    }
    const spec = options[token.name];
    if (spec === undefined) {
      throw new ConfigError(`unknown option ${token.rawName} (from ${FROM_CLI}); see --help`, FROM_CLI, token.rawName);
    }
    if (spec.type === 'boolean') {
      if (token.value !== undefined) {
        throw new ConfigError(`option --${token.name} takes no value (from ${FROM_CLI})`, FROM_CLI, `--${token.name}`);
      }
      if (token.name === 'help') out.help = true;
      else out.version = true;
      continue;
    }
    // parseArgs in non-strict mode happily takes the next flag as the value ("--port --bind x"); refuse that.
    if (token.value === undefined || (!token.inlineValue && token.value.startsWith('-'))) {
      throw new ConfigError(
        `missing value for --${token.name} (from ${FROM_CLI}); write --${token.name}=<value> if the value starts with "-"`,
        FROM_CLI,
        `--${token.name}`,
      );
    }
    if (token.name === 'config') {
      out.configPath = token.value;
      continue;
    }
    const list = out.values.get(token.name) ?? [];
    list.push(token.value);
    out.values.set(token.name, list);
  }
  return out;
}

/** What the command line asks for. Help wins over everything, so `leveret --help` works even with bad flags. */
export function commandLineAction(argv: string[]): 'help' | 'version' | 'run' {
  const end = argv.indexOf('--');
  const flags = end === -1 ? argv : argv.slice(0, end);
  if (flags.includes('--help') || flags.includes('-h')) return 'help';
  if (flags.includes('--version')) return 'version';
  return 'run';
}
