/**
 * Whether a JSON value fits one of the API's response schemas (the subset management/schemas/ uses: type, with
 * several types allowed, properties, items, anyOf, enum, minLength). Returns the first mismatch as a path and a
 * reason, or undefined. The fixture runs it on every response, so the schemas stay true to what routes send.
 */
export function mismatch(value: unknown, schema: Record<string, unknown>, path = '$'): string | undefined {
  if (Array.isArray(schema.anyOf)) {
    const reasons = (schema.anyOf as Record<string, unknown>[]).map((s) => mismatch(value, s, path));
    return reasons.includes(undefined) ? undefined : reasons.join('; ');
  }
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.includes(typeOf(value))) return `${path}: ${typeOf(value)}, not ${types.join(' or ')}`;
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) return `${path}: ${JSON.stringify(value)} is not in the enum`;
  if (typeof value === 'string' && typeof schema.minLength === 'number' && value.length < schema.minLength) return `${path}: too short`;
  if (Array.isArray(value) && schema.items !== undefined) {
    for (let i = 0; i < value.length; i++) {
      const m = mismatch(value[i], schema.items as Record<string, unknown>, `${path}[${i}]`);
      if (m !== undefined) return m;
    }
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && schema.properties !== undefined) {
    for (const [key, sub] of Object.entries(schema.properties as Record<string, Record<string, unknown>>)) {
      const v = (value as Record<string, unknown>)[key];
      if (v === undefined) continue;
      const m = mismatch(v, sub, `${path}.${key}`);
      if (m !== undefined) return m;
    }
    if (schema.additionalProperties === false) {
      const extra = Object.keys(value).find((k) => !(k in (schema.properties as object)));
      if (extra !== undefined) return `${path}.${extra}: not declared`;
    }
  }
  return undefined;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
