/**
 * The JSON text a parameter value is stored as. Throws a TypeError when the value has no JSON form (undefined, a
 * function or a symbol at the top; a bigint or a cycle anywhere), so a bad value fails in the caller's put and never
 * in a later batch. Inside the value, JSON's own rules apply: undefined members are dropped, NaN becomes null, a
 * Date its ISO string.
 */
export function encodeParameterValue(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw new TypeError(`parameter value cannot be stored as JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof text !== 'string') throw new TypeError(`parameter value cannot be stored as JSON: ${typeof value}`);
  return text;
}
