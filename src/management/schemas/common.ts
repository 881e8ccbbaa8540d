/*
 * Building blocks of the API's JSON Schemas (plain objects, read by Fastify: Ajv validates requests,
 * fast-json-stringify writes responses).
 *
 * A response schema drops the properties it does not declare and converts declared ones to their type (null to 0
 * for a number, to "" for a string), so every object here is open (`additionalProperties: true`: keys that vary,
 * such as arguments, headers, message_stats, client_properties and the samples a range adds, pass as they are),
 * and a field that may be null says so. A field whose type varies is declared without one ({}).
 */

export type JsonSchema = { readonly [key: string]: unknown };

export const STRING = { type: 'string' } as const;
export const NUMBER = { type: 'number' } as const;
export const BOOLEAN = { type: 'boolean' } as const;
export const NULLABLE_STRING = { type: ['string', 'null'] } as const;
export const NULLABLE_NUMBER = { type: ['number', 'null'] } as const;
/** Any JSON value, written as JSON.stringify writes it. */
export const ANY = {} as const;
/** An object whose keys vary (arguments, headers, message_stats, *_details...). */
export const OPEN_OBJECT = { type: 'object', additionalProperties: true } as const;
export const STRINGS = { type: 'array', items: STRING } as const;

/** An object with these fields (and any others, as they are). */
export function object(properties: Record<string, JsonSchema>): JsonSchema {
  return { type: 'object', additionalProperties: true, properties };
}

export function arrayOf(items: JsonSchema): JsonSchema {
  return { type: 'array', items };
}

/**
 * What applyListing answers (listing.ts): the items as an array, or with `page` the pagination envelope. With
 * `columns` the items carry only some of their fields, which open objects allow.
 */
export function listOf(item: JsonSchema): JsonSchema {
  return {
    anyOf: [
      arrayOf(item),
      object({
        filtered_count: NUMBER,
        item_count: NUMBER,
        page: NUMBER,
        page_count: NUMBER,
        page_size: NUMBER,
        total_count: NUMBER,
        items: arrayOf(item),
      }),
    ],
  };
}

/** A 200 response schema. */
export function ok(schema: JsonSchema): { 200: JsonSchema } {
  return { 200: schema };
}

/** Path parameters, all strings; `nonEmpty` ones need at least one character. */
export function params(names: readonly string[], nonEmpty: readonly string[] = []): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const name of names) properties[name] = nonEmpty.includes(name) ? { type: 'string', minLength: 1 } : STRING;
  return { type: 'object', properties, required: [...names] };
}

/**
 * A request body that names its fields but leaves their checks to the handler, which answers RabbitMQ's own texts
 * (a schema would answer Ajv's). The body is an object: decoding (body.ts) already made it one.
 */
export function namedFields(names: readonly string[]): JsonSchema {
  return { type: 'object', properties: Object.fromEntries(names.map((n) => [n, ANY])) };
}

/** true/false or "true"/"false" (RabbitMQ's parse_bool). */
export const BOOLEANISH = { anyOf: [BOOLEAN, { type: 'string', enum: ['true', 'false'] }] } as const;
export const ARGUMENTS = OPEN_OBJECT;
