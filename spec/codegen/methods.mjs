// Method emitters: one decoder (an object literal per method, fields in declaration order) and one encoder (size
// first, allocate once) per method, and the TypeScript type of a field.
import { q } from './names.mjs';

/** Bytes taken by fixed-size primitives ('bit' is handled as packed groups). */
export const FIXED_SIZE = { octet: 1, short: 2, long: 4, longlong: 8, timestamp: 8 };

export function tsType(f, forProperty) {
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

export function emitDecoder(m, L) {
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

export function emitEncoder(m, L) {
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
