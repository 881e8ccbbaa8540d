#!/usr/bin/env node
// Generates src/protocol/generated/amqp.ts from spec/amqp0-9-1.json.
//
//   node spec/codegen.mjs           write the file
//   node spec/codegen.mjs --check   exit 1 if the committed file differs from what would be generated
//
// Plain Node, no dependencies. Output is a pure function of the spec file (no timestamps, JSON order preserved).
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const specPath = join(here, 'amqp0-9-1.json');
const outPath = join(root, 'src', 'protocol', 'generated', 'amqp.ts');

// ---------------------------------------------------------------------------------------------------------------
// Spec loading and validation
// ---------------------------------------------------------------------------------------------------------------

const PRIMITIVES = new Set(['bit', 'octet', 'short', 'long', 'longlong', 'shortstr', 'longstr', 'timestamp', 'table']);
/** Bytes taken by fixed-size primitives ('bit' is handled as packed groups). */
const FIXED_SIZE = { octet: 1, short: 2, long: 4, longlong: 8, timestamp: 8 };

function fail(msg) {
  throw new Error(`spec/amqp0-9-1.json: ${msg}`);
}

const pascal = (s) =>
  s
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
const camel = (s) => {
  const p = pascal(s);
  return p.charAt(0).toLowerCase() + p.slice(1);
};
const constName = (s) => s.toUpperCase().replace(/-/g, '_');
const q = (s) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const hex8 = (n) => '0x' + n.toString(16).padStart(8, '0');

function loadSpec() {
  const spec = JSON.parse(readFileSync(specPath, 'utf8'));
  const domains = spec.domains ?? fail('no domains');
  for (const [name, type] of Object.entries(domains)) {
    if (!PRIMITIVES.has(type)) fail(`domain ${name} maps to unknown primitive ${type}`);
  }
  const resolve = (where, f) => {
    if (typeof f.name !== 'string' || !f.name) fail(`${where}: field without a name`);
    const domain = f.domain ?? f.type;
    const type = domains[domain];
    if (!type) fail(`${where}.${f.name}: unknown domain ${domain}`);
    // "any-bytes": a shortstr RabbitMQ does not check for UTF-8 (basic.publish's exchange and routing key); it is read
    // so that any bytes survive (src/protocol/utf8.ts) instead of being refused.
    return { name: f.name, camel: camel(f.name), domain, type, reserved: !!f.reserved, anyBytes: !!f['any-bytes'] };
  };
  const classIds = new Set();
  const classes = spec.classes.map((c) => {
    if (classIds.has(c.id)) fail(`duplicate class id ${c.id}`);
    classIds.add(c.id);
    const methodIds = new Set();
    const methods = c.methods.map((m) => {
      const where = `${c.name}.${m.name}`;
      if (methodIds.has(m.id)) fail(`${where}: duplicate method id ${m.id}`);
      methodIds.add(m.id);
      const fields = m.fields.map((f) => resolve(where, f));
      const seen = new Set();
      for (const f of fields) {
        if (seen.has(f.camel)) fail(`${where}: duplicate field ${f.name}`);
        seen.add(f.camel);
      }
      return {
        classId: c.id,
        id: m.id,
        fullId: c.id * 65536 + m.id,
        name: `${c.name}.${m.name}`,
        key: pascal(c.name) + pascal(m.name),
        methodName: m.name,
        synchronous: !!m.synchronous,
        content: !!m.content,
        responses: m.responses ?? [],
        fields,
      };
    });
    for (const m of methods) {
      for (const r of m.responses) {
        if (!c.methods.some((x) => x.name === r)) fail(`${m.name}: unknown response ${r}`);
      }
    }
    const properties = (c.properties ?? []).map((p) => resolve(`${c.name} properties`, p));
    if (properties.length > 15) fail(`${c.name}: more than 15 properties needs continuation flags`);
    if (properties.some((p) => p.type === 'bit')) fail(`${c.name}: bit properties are not supported`);
    return { id: c.id, name: c.name, key: pascal(c.name), methods, properties };
  });
  return { spec, classes };
}

// ---------------------------------------------------------------------------------------------------------------
// Emitters
// ---------------------------------------------------------------------------------------------------------------

function tsType(f, forProperty) {
  switch (f.type) {
    case 'bit':
      return 'boolean';
    case 'octet':
    case 'short':
    case 'long':
    case 'longlong':
    case 'timestamp':
      return 'number';
    case 'shortstr':
      return 'string';
    case 'longstr':
      return forProperty ? 'string' : 'Buffer';
    case 'table':
      return 'FieldTable';
  }
  throw new Error(`no TS type for ${f.type}`);
}

/** Groups fields into items: runs of consecutive bits become one packed octet. */
function items(fields) {
  const out = [];
  let bits = null;
  fields.forEach((f, i) => {
    if (f.type === 'bit') {
      if (!bits || bits.fields.length === 8) {
        bits = { kind: 'bits', fields: [], index: out.length };
        out.push(bits);
      }
      bits.fields.push({ ...f, i });
    } else {
      bits = null;
      out.push({ kind: 'field', f: { ...f, i } });
    }
  });
  return out;
}

function itemFixedSize(item) {
  if (item.kind === 'bits') return 1;
  return FIXED_SIZE[item.f.type] ?? null;
}

function emitDecoder(m, L) {
  const fn = `decode${m.key}`;
  const what = q(m.name);
  if (m.fields.length === 0) {
    L.push(`function ${fn}(_b: Buffer, _o: number, _e: number): ${m.key}Args {`);
    L.push(`  return EMPTY_ARGS;`);
    L.push(`}`, '');
    return;
  }
  L.push(`function ${fn}(b: Buffer, o: number, e: number): ${m.key}Args {`);
  const its = items(m.fields);
  let runLeft = 0; // bytes already covered by the last need()
  its.forEach((it, idx) => {
    const size = itemFixedSize(it);
    if (size !== null && runLeft === 0) {
      let run = 0;
      for (let j = idx; j < its.length; j++) {
        const s = itemFixedSize(its[j]);
        if (s === null) break;
        run += s;
      }
      L.push(`  need(o, ${run}, e, ${what});`);
      runLeft = run;
    }
    if (size !== null) runLeft -= size;
    if (it.kind === 'bits') {
      L.push(`  const bits${it.index} = b[o]!;`);
      L.push(`  o += 1;`);
      return;
    }
    const f = it.f;
    const v = `v${f.i}`;
    switch (f.type) {
      case 'octet':
        L.push(`  const ${v} = b[o]!;`, `  o += 1;`);
        break;
      case 'short':
        L.push(`  const ${v} = b.readUInt16BE(o);`, `  o += 2;`);
        break;
      case 'long':
        L.push(`  const ${v} = b.readUInt32BE(o);`, `  o += 4;`);
        break;
      case 'longlong':
      case 'timestamp':
        L.push(`  const ${v} = readLonglong(b, o);`, `  o += 8;`);
        break;
      case 'shortstr':
        L.push(`  const ${v} = ${f.anyBytes ? 'readAnyShortstr' : 'readShortstr'}(b, o, e, ${what});`, `  o += 1 + b[o]!;`);
        break;
      case 'longstr':
        L.push(`  const ${v} = readLongstr(b, o, e, ${what});`, `  o = skipLong(b, o);`);
        break;
      case 'table':
        L.push(`  const ${v} = decodeTableArg(b, o, e, ${what});`, `  o = skipLong(b, o);`);
        break;
      default:
        throw new Error(`unhandled type ${f.type}`);
    }
  });
  L.push(`  return {`);
  for (const it of its) {
    if (it.kind === 'bits') {
      it.fields.forEach((f, bit) => {
        L.push(`    ${f.camel}: (bits${it.index} & ${1 << bit}) !== 0,`);
      });
    } else {
      L.push(`    ${it.f.camel}: v${it.f.i},`);
    }
  }
  L.push(`  };`);
  L.push(`}`, '');
}

function emitEncoder(m, L) {
  const fn = `encode${m.key}`;
  const what = m.name;
  const its = items(m.fields);
  let fixed = 12; // 7-byte frame header, class id, method id, frame-end octet
  const sizeTerms = [];
  const pre = [];
  for (const it of its) {
    const s = itemFixedSize(it);
    if (s !== null) {
      fixed += s;
      continue;
    }
    const f = it.f;
    const v = `v${f.i}`;
    const label = q(`${what} ${f.name}`);
    switch (f.type) {
      case 'shortstr':
        if (f.domain === 'reply-text') pre.push(`  const ${v} = truncateShortstr(a.${f.camel} ?? '');`);
        else pre.push(`  const ${v} = a.${f.camel} ?? '';`);
        pre.push(`  const n${f.i} = shortstrLength(${v}, ${label});`);
        fixed += 1;
        sizeTerms.push(`n${f.i}`);
        break;
      case 'longstr':
        pre.push(`  const ${v} = toLongstr(a.${f.camel});`);
        fixed += 4;
        sizeTerms.push(`${v}.length`);
        break;
      case 'table':
        pre.push(`  const ${v} = a.${f.camel} ?? EMPTY_TABLE;`);
        pre.push(`  const n${f.i} = encodedTableSize(${v});`);
        sizeTerms.push(`n${f.i}`);
        break;
      default:
        throw new Error(`unhandled type ${f.type}`);
    }
  }
  const aParam = m.fields.length === 0 ? '_args' : 'args';
  L.push(`function ${fn}(ch: number, ${aParam}: object): Buffer {`);
  if (m.fields.length > 0) L.push(`  const a = args as Partial<${m.key}Args>;`);
  L.push(...pre);
  L.push(`  const size = ${[String(fixed), ...sizeTerms].join(' + ')};`);
  L.push(`  const b = Buffer.allocUnsafe(size);`);
  L.push(`  b[0] = FRAME_METHOD;`);
  L.push(`  b.writeUInt16BE(ch, 1);`);
  L.push(`  b.writeUInt32BE(size - 8, 3);`);
  L.push(`  b.writeUInt32BE(MethodId.${m.key}, 7);`);
  if (m.fields.length > 0) L.push(`  let o = 11;`);
  for (const it of its) {
    if (it.kind === 'bits') {
      const terms = it.fields.map((f, bit) => `(a.${f.camel} ? ${1 << bit} : 0)`);
      L.push(`  b[o] = ${terms.join(' | ')};`, `  o += 1;`);
      continue;
    }
    const f = it.f;
    const v = `v${f.i}`;
    switch (f.type) {
      case 'octet':
        L.push(`  b.writeUInt8(a.${f.camel} ?? 0, o);`, `  o += 1;`);
        break;
      case 'short':
        L.push(`  b.writeUInt16BE(a.${f.camel} ?? 0, o);`, `  o += 2;`);
        break;
      case 'long':
        L.push(`  b.writeUInt32BE(a.${f.camel} ?? 0, o);`, `  o += 4;`);
        break;
      case 'longlong':
      case 'timestamp':
        L.push(`  writeLonglong(b, o, a.${f.camel} ?? 0);`, `  o += 8;`);
        break;
      case 'shortstr':
        L.push(`  o = writeShortstr(b, o, ${v}, n${f.i});`);
        break;
      case 'longstr':
        L.push(`  o = writeLongstr(b, o, ${v});`);
        break;
      case 'table':
        L.push(`  o = writeTable(b, o, ${v});`);
        break;
    }
  }
  L.push(`  b[${m.fields.length > 0 ? 'o' : '11'}] = FRAME_END;`);
  L.push(`  return b;`);
  L.push(`}`, '');
}

function emitProperties(c, L) {
  const T = `${c.key}Properties`;
  const what = q(`${c.name} properties`);
  const props = c.properties;
  const flag = (i) => '0x' + (0x8000 >>> i).toString(16).padStart(4, '0');

  L.push(`/** The ${c.name} class's property-flag bits, by property (the first property is bit 15). */`);
  L.push(`export const ${c.key}PropertyFlag = {`);
  props.forEach((p, i) => L.push(`  ${pascal(p.name)}: ${flag(i)},`));
  L.push(`} as const;`, '');

  L.push(`/** Content header properties of the ${c.name} class; absent properties are undefined. */`);
  L.push(`export interface ${T} {`);
  for (const p of props) {
    const note = p.type === 'timestamp' ? ' /* seconds since the epoch */' : '';
    L.push(`  ${p.camel}?: ${tsType(p, true)}${note};`);
  }
  L.push(`}`, '');

  // Decoder
  L.push(`/** Decodes property flags and the property list; offset points at the first property-flags word. */`);
  L.push(`export function decode${T}(b: Buffer, o: number, e: number): ${T} {`);
  L.push(`  if (e > b.length) e = b.length;`);
  L.push(`  need(o, 2, e, ${what});`);
  L.push(`  const flags = b.readUInt16BE(o);`);
  L.push(`  o += 2;`);
  L.push(`  // Continuation words (bit 0 set) would flag properties this class does not define: skip them.`);
  L.push(`  for (let more = flags & 1; more !== 0; ) {`);
  L.push(`    need(o, 2, e, ${what});`);
  L.push(`    more = b.readUInt16BE(o) & 1;`);
  L.push(`    o += 2;`);
  L.push(`  }`);
  props.forEach((p, i) => {
    L.push(`  let v${i}: ${tsType(p, true)} | undefined;`);
  });
  L.push(`  if (flags !== 0) {`);
  props.forEach((p, i) => {
    const v = `v${i}`;
    L.push(`    if ((flags & ${flag(i)}) !== 0) {`);
    switch (p.type) {
      case 'octet':
        L.push(`      need(o, 1, e, ${what});`, `      ${v} = b[o]!;`, `      o += 1;`);
        break;
      case 'short':
        L.push(`      need(o, 2, e, ${what});`, `      ${v} = b.readUInt16BE(o);`, `      o += 2;`);
        break;
      case 'long':
        L.push(`      need(o, 4, e, ${what});`, `      ${v} = b.readUInt32BE(o);`, `      o += 4;`);
        break;
      case 'longlong':
      case 'timestamp':
        L.push(`      need(o, 8, e, ${what});`, `      ${v} = readLonglong(b, o);`, `      o += 8;`);
        break;
      case 'shortstr':
        L.push(`      ${v} = readPropertyShortstr(b, o, e, ${what});`, `      o += 1 + b[o]!;`);
        break;
      case 'longstr':
        L.push(`      ${v} = readLongstr(b, o, e, ${what}).toString('utf8');`, `      o = skipLong(b, o);`);
        break;
      case 'table':
        L.push(`      ${v} = decodeTableArg(b, o, e, ${what});`, `      o = skipLong(b, o);`);
        break;
    }
    L.push(`    }`);
  });
  L.push(`  }`);
  L.push(`  return {`);
  props.forEach((p, i) => L.push(`    ${p.camel}: v${i},`));
  L.push(`  };`);
  L.push(`}`, '');

  // Encoder
  L.push(`/** Encodes property flags and the property list (null and undefined properties are absent). */`);
  L.push(`export function encode${T}(props: ${T}): Buffer {`);
  L.push(`  let flags = 0;`);
  L.push(`  let size = 2;`);
  props.forEach((p, i) => {
    const v = `v${i}`;
    const label = q(`${c.name} property ${p.name}`);
    L.push(`  const ${v} = props.${p.camel};`);
    switch (p.type) {
      case 'shortstr':
        L.push(`  let n${i} = 0;`);
        L.push(`  if (${v} != null) {`, `    flags |= ${flag(i)};`, `    n${i} = shortstrLength(${v}, ${label});`);
        L.push(`    size += 1 + n${i};`, `  }`);
        break;
      case 'longstr':
        L.push(`  let n${i} = 0;`);
        L.push(`  if (${v} != null) {`, `    flags |= ${flag(i)};`, `    n${i} = Buffer.byteLength(${v}, 'utf8');`);
        L.push(`    size += 4 + n${i};`, `  }`);
        break;
      case 'table':
        L.push(`  let n${i} = 0;`);
        L.push(`  if (${v} != null) {`, `    flags |= ${flag(i)};`, `    n${i} = encodedTableSize(${v});`);
        L.push(`    size += n${i};`, `  }`);
        break;
      default:
        L.push(`  if (${v} != null) {`, `    flags |= ${flag(i)};`, `    size += ${FIXED_SIZE[p.type]};`, `  }`);
    }
  });
  L.push(`  const b = Buffer.allocUnsafe(size);`);
  L.push(`  b.writeUInt16BE(flags, 0);`);
  L.push(`  let o = 2;`);
  props.forEach((p, i) => {
    const v = `v${i}`;
    switch (p.type) {
      case 'octet':
        L.push(`  if (${v} != null) {`, `    b.writeUInt8(${v}, o);`, `    o += 1;`, `  }`);
        break;
      case 'short':
        L.push(`  if (${v} != null) {`, `    b.writeUInt16BE(${v}, o);`, `    o += 2;`, `  }`);
        break;
      case 'long':
        L.push(`  if (${v} != null) {`, `    b.writeUInt32BE(${v}, o);`, `    o += 4;`, `  }`);
        break;
      case 'longlong':
      case 'timestamp':
        L.push(`  if (${v} != null) {`, `    writeLonglong(b, o, ${v});`, `    o += 8;`, `  }`);
        break;
      case 'shortstr':
        L.push(`  if (${v} != null) o = writeShortstr(b, o, ${v}, n${i});`);
        break;
      case 'longstr':
        L.push(`  if (${v} != null) o = writeLongstr(b, o, Buffer.from(${v}, 'utf8'));`);
        break;
      case 'table':
        L.push(`  if (${v} != null) o = writeTable(b, o, ${v});`);
        break;
    }
  });
  L.push(`  return b;`);
  L.push(`}`, '');
}

function generate() {
  const { spec, classes } = loadSpec();
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

// ---------------------------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------------------------

const check = process.argv.includes('--check');
const out = generate();
const rel = relative(root, outPath);
if (check) {
  const current = existsSync(outPath) ? readFileSync(outPath, 'utf8') : null;
  if (current !== out) {
    console.error(
      current === null
        ? `${rel} is missing. Run \`npm run gen:protocol\` (node spec/codegen.mjs) and commit the result.`
        : `${rel} is stale: it differs from what spec/codegen.mjs generates from spec/amqp0-9-1.json.\n` +
            'Run `npm run gen:protocol` (node spec/codegen.mjs) and commit the result; do not edit the file by hand.',
    );
    process.exit(1);
  }
  console.log(`${rel} is up to date.`);
} else {
  mkdirSync(dirname(outPath), { recursive: true });
  writeFileSync(outPath, out);
  console.log(`wrote ${rel}`);
}
