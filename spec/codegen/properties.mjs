// Content header property emitters: the properties interface, its decoder and its encoder, per class.
import { FIXED_SIZE, tsType } from './methods.mjs';
import { pascal, q } from './names.mjs';

export function emitProperties(c, L) {
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
