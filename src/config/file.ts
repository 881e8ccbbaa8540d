/**
 * The JSON config file (--config or LEVERET_CONFIG): read, checked to be an object, flattened to settings rows.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, fromFile, invalid } from './errors';
import { FIELDS, type Field } from './fields';

export function readConfigFile(path: string, via: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new ConfigError(`cannot read config file ${path} (from ${via}): ${reason}`, fromFile(path), via);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(err as Error).message}`, fromFile(path));
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new ConfigError(`config file ${path} must contain a JSON object`, fromFile(path));
  }
  return json as Record<string, unknown>;
}

/** Flattens {amqp: {port: 1}} to [["amqp.port", 1]], rejecting keys that are not settings. */
export function fileEntries(json: Record<string, unknown>, path: string): [Field<unknown>, unknown][] {
  const byKey = new Map(FIELDS.map((f) => [f.key, f]));
  const groups = new Set(FIELDS.filter((f) => f.key.includes('.')).map((f) => f.key.split('.')[0]));
  const source = fromFile(path);
  const out: [Field<unknown>, unknown][] = [];
  for (const [name, value] of Object.entries(json)) {
    if (groups.has(name)) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw invalid(value, name, source, 'an object');
      }
      for (const [sub, subValue] of Object.entries(value as Record<string, unknown>)) {
        const f = byKey.get(`${name}.${sub}`);
        if (f === undefined) throw unknownKey(`${name}.${sub}`, path);
        out.push([f, subValue]);
      }
      continue;
    }
    const f = byKey.get(name);
    if (f === undefined || f.key.includes('.')) throw unknownKey(name, path);
    out.push([f, value]);
  }
  return out;
}

function unknownKey(key: string, path: string): ConfigError {
  return new ConfigError(`unknown key ${JSON.stringify(key)} in config file ${path}`, fromFile(path), key);
}
