// Builds the text of src/protocol/generated/amqp.ts: banner and imports, constants and reply codes, class and
// method ids, argument types, method info, then the decoders, encoders and content properties.
import { emitDecoder, emitEncoder, tsType } from './methods.mjs';
import { constName, hex8, pascal } from './names.mjs';
import { emitProperties } from './properties.mjs';
import { loadSpec } from './spec.mjs';

/** The generated file's text: a pure function of the spec file (no timestamps, JSON order preserved). */
export function generate(specPath) {
  const { spec, classes } = loadSpec(specPath);
  const methods = classes.flatMap((c) => c.methods);
  const L = [];
  L.push(
    '// Generated from spec/amqp0-9-1.json by spec/codegen.mjs. DO NOT EDIT.',
    '// Regenerate with `npm run gen:protocol`; CI runs `npm run gen:check` to keep this file fresh.',
    '/* eslint-disable */',
    '',
    "import { FrameSyntaxError, UnknownMethodError } from '../errors';",
    "import { type FieldTable, readTableAt, encodedTableSize, writeTable } from '../field-table';",
    'import {',
    '  need,',
    '  readShortstr,',
    '  readAnyShortstr,',
    '  readPropertyShortstr,',
    '  readLongstr,',
    '  readLonglong,',
    '  skipLong,',
    '  shortstrLength,',
    '  truncateShortstr,',
    '  toLongstr,',
    '  writeShortstr,',
    '  writeLongstr,',
    '  writeLonglong,',
    "} from '../codec';",
    '',
    `export const PROTOCOL_VERSION = { major: ${spec['major-version']}, minor: ${spec['minor-version']}, revision: ${spec.revision} } as const;`,
    `export const DEFAULT_PORT = ${spec.port};`,
    '',
  );

  // Constants
  const frameConsts = spec.constants.filter((k) => k.name.startsWith('frame-'));
  for (const k of frameConsts) L.push(`export const ${constName(k.name)} = ${k.value};`);
  L.push('');
  const replyConsts = spec.constants.filter((k) => k.class === 'soft-error' || k.class === 'hard-error' || k.name === 'reply-success');
  L.push('/** AMQP reply codes (spec constants); soft errors close the channel, hard errors the connection. */');
  L.push('export const ReplyCode = {');
  for (const k of replyConsts) L.push(`  ${pascal(k.name)}: ${k.value},`);
  L.push('} as const;', '');
  L.push('export type ReplyCodeValue = (typeof ReplyCode)[keyof typeof ReplyCode];', '');
  L.push("/** The spec's constant name for a reply code, e.g. 404 -> 'NOT_FOUND'; unknown codes give 'UNKNOWN'. */");
  L.push('export function replyCodeName(code: number): string {');
  L.push('  switch (code) {');
  for (const k of replyConsts) L.push(`    case ${k.value}:`, `      return '${constName(k.name)}';`);
  L.push('    default:', "      return 'UNKNOWN';", '  }', '}', '');
  L.push("/** True for reply codes of the spec's hard-error class (they close the connection). */");
  L.push('export function isHardError(code: number): boolean {');
  L.push('  switch (code) {');
  for (const k of replyConsts.filter((x) => x.class === 'hard-error')) L.push(`    case ${k.value}:`);
  L.push('      return true;', '    default:', '      return false;', '  }', '}', '');
  L.push("/** True for reply codes of the spec's soft-error class (they close the channel). */");
  L.push('export function isSoftError(code: number): boolean {');
  L.push('  switch (code) {');
  for (const k of replyConsts.filter((x) => x.class === 'soft-error')) L.push(`    case ${k.value}:`);
  L.push('      return true;', '    default:', '      return false;', '  }', '}', '');

  // Class and method ids
  L.push('export const ClassId = {');
  for (const c of classes) L.push(`  ${c.key}: ${c.id},`);
  L.push('} as const;', '');
  L.push('export type ClassIdValue = (typeof ClassId)[keyof typeof ClassId];', '');
  L.push('/** Method ids as (classId << 16) | methodId. */');
  L.push('export const MethodId = {');
  for (const m of methods) L.push(`  ${m.key}: ${hex8(m.fullId)},`);
  L.push('} as const;', '');
  L.push('export type MethodIdValue = (typeof MethodId)[keyof typeof MethodId];', '');

  // Args interfaces
  for (const m of methods) {
    L.push(`/** Arguments of ${m.name} (${m.classId}, ${m.id}). */`);
    if (m.fields.length === 0) {
      L.push(`export type ${m.key}Args = Record<string, never>;`, '');
      continue;
    }
    L.push(`export interface ${m.key}Args {`);
    for (const f of m.fields) {
      const note = f.reserved ? ' // reserved' : '';
      L.push(`  ${f.camel}: ${tsType(f, false)};${note}`);
    }
    L.push('}', '');
  }
  L.push('/** Method id -> its arguments type. */');
  L.push('export interface MethodArgsById {');
  for (const m of methods) L.push(`  [MethodId.${m.key}]: ${m.key}Args;`);
  L.push('}', '');

  // Method info
  L.push('export interface MethodInfo {');
  L.push('  readonly id: number;');
  L.push('  readonly classId: number;');
  L.push('  readonly methodId: number;');
  L.push("  /** e.g. 'queue.declare' */");
  L.push('  readonly name: string;');
  L.push('  readonly hasContent: boolean;');
  L.push('  readonly synchronous: boolean;');
  L.push('  /** camelCase field names in wire order */');
  L.push('  readonly fields: readonly string[];');
  L.push('  /** ids of the methods that answer this one (empty for asynchronous methods and responses) */');
  L.push('  readonly responses: readonly number[];');
  L.push('}', '');
  L.push('/** Every method of the spec, in spec order. */');
  L.push('export const METHODS: readonly MethodInfo[] = [');
  for (const m of methods) {
    const fields = m.fields.map((f) => `'${f.camel}'`).join(', ');
    const responses = m.responses.map((r) => `MethodId.${pascal(m.name.split('.')[0])}${pascal(r)}`).join(', ');
    L.push('  {');
    L.push(`    id: MethodId.${m.key},`);
    L.push(`    classId: ${m.classId},`);
    L.push(`    methodId: ${m.id},`);
    L.push(`    name: '${m.name}',`);
    L.push(`    hasContent: ${m.content},`);
    L.push(`    synchronous: ${m.synchronous},`);
    L.push(`    fields: [${fields}],`);
    L.push(`    responses: [${responses}],`);
    L.push('  },');
  }
  L.push('];', '');
  L.push('const METHOD_INFO = new Map<number, MethodInfo>(METHODS.map((m) => [m.id, m]));', '');
  L.push('export function methodInfo(id: number): MethodInfo | undefined {');
  L.push('  return METHOD_INFO.get(id);');
  L.push('}', '');
  L.push("/** 'queue.declare' for a known id, else 'unknown(classId,methodId)'; for logs and error texts. */");
  L.push('export function methodName(id: number): string {');
  L.push('  const info = METHOD_INFO.get(id);');
  L.push('  return info !== undefined ? info.name : `unknown(${id >>> 16},${id & 0xffff})`;');
  L.push('}', '');
  L.push('export interface ClassInfo {');
  L.push('  readonly id: number;');
  L.push('  readonly name: string;');
  L.push('  /** camelCase content-header property names in flag order (empty for classes without content) */');
  L.push('  readonly properties: readonly string[];');
  L.push('}', '');
  L.push('export const CLASSES: readonly ClassInfo[] = [');
  for (const c of classes) {
    L.push(`  { id: ${c.id}, name: '${c.name}', properties: [${c.properties.map((p) => `'${p.camel}'`).join(', ')}] },`);
  }
  L.push('];', '');

  // Decoders
  L.push('// ---------------------------------------------------------------------------------------------------------');
  L.push('// Method argument decoders: one object literal per method, fields in declaration order.');
  L.push('// ---------------------------------------------------------------------------------------------------------');
  L.push('');
  L.push('const EMPTY_ARGS: Record<string, never> = Object.freeze({}) as Record<string, never>;');
  L.push('const EMPTY_TABLE: FieldTable = Object.freeze({}) as FieldTable;', '');
  L.push('function decodeTableArg(b: Buffer, o: number, e: number, what: string): FieldTable {');
  L.push('  if (o + 4 > e) throw new FrameSyntaxError(`${what}: truncated arguments`);');
  L.push('  return readTableAt(b, o, e);');
  L.push('}', '');
  for (const m of methods) emitDecoder(m, L);
  L.push('/**');
  L.push(' * Decodes the arguments of method `id` from buf[offset, end) (offset is just past the class and method ids).');
  L.push(' * Throws UnknownMethodError for an unknown id, FrameSyntaxError for truncated or malformed arguments.');
  L.push(' * Bytes after the last argument are ignored.');
  L.push(' */');
  L.push('export function decodeMethodArgs<K extends keyof MethodArgsById>(id: K, buf: Buffer, offset: number, end: number): MethodArgsById[K];');
  L.push('export function decodeMethodArgs(id: number, buf: Buffer, offset: number, end: number): object;');
  L.push('export function decodeMethodArgs(id: number, buf: Buffer, offset: number, end: number): object {');
  L.push('  if (end > buf.length) end = buf.length;');
  L.push('  switch (id) {');
  for (const m of methods) L.push(`    case MethodId.${m.key}:`, `      return decode${m.key}(buf, offset, end);`);
  L.push('    default:', '      throw new UnknownMethodError(id >>> 16, id & 0xffff);', '  }', '}', '');

  // Encoders
  L.push('// ---------------------------------------------------------------------------------------------------------');
  L.push('// Method frame encoders: size first, allocate once. Missing fields take defaults (0, \'\', false, {}, empty).');
  L.push('// ---------------------------------------------------------------------------------------------------------');
  L.push('');
  for (const m of methods) emitEncoder(m, L);
  L.push('/** Arguments accepted by encodeMethodFrame: checked against the method for literal ids, any object otherwise. */');
  L.push('export type EncodeArgs<K extends number> = K extends keyof MethodArgsById ? Partial<MethodArgsById[K]> : object;', '');
  L.push('/**');
  L.push(' * Encodes a whole method frame: type 1, channel, size, class and method ids, arguments, frame-end.');
  L.push(' * Throws UnknownMethodError for an unknown id, RangeError for an out-of-range value or a shortstr over 255 bytes');
  L.push(' * (reply-text is truncated to 255 bytes instead).');
  L.push(' */');
  L.push('export function encodeMethodFrame<K extends number>(channel: number, id: K, args: EncodeArgs<K>): Buffer {');
  L.push('  const a = args as object;');
  L.push('  switch (id as number) {');
  for (const m of methods) L.push(`    case MethodId.${m.key}:`, `      return encode${m.key}(channel, a);`);
  L.push('    default:', '      throw new UnknownMethodError(id >>> 16, id & 0xffff);', '  }', '}', '');

  // Properties
  L.push('// ---------------------------------------------------------------------------------------------------------');
  L.push('// Content header properties.');
  L.push('// ---------------------------------------------------------------------------------------------------------');
  L.push('');
  for (const c of classes) if (c.properties.length > 0) emitProperties(c, L);

  return L.join('\n').replace(/\n+$/, '') + '\n';
}
