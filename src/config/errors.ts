/**
 * ConfigError, and the one message shape every settings problem uses: it names the offending source and key, e.g.
 *   invalid value "abc" for --port (from command line): expected an integer 0-65535
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  /**
   * @param source where the bad input came from, e.g. "command line", "environment", "config file /etc/leveret.json"
   * @param key the flag, variable or file key at fault, when there is one
   */
  constructor(
    message: string,
    readonly source?: string,
    readonly key?: string,
  ) {
    super(message);
  }
}

export const FROM_CLI = 'command line';
export const FROM_ENV = 'environment';
export const fromFile = (path: string): string => `config file ${path}`;

export function invalid(raw: unknown, key: string, source: string, expected: string): ConfigError {
  const shown = JSON.stringify(raw) ?? String(raw);
  return new ConfigError(`invalid value ${shown} for ${key} (from ${source}): expected ${expected}`, source, key);
}
