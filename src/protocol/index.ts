/** The protocol codec: bytes <-> frames, methods, content properties and field tables. Pure, no I/O. */
export * from './generated/amqp';
export * from './errors';
export {
  type FieldValue,
  type FieldTable,
  Decimal,
  Float32,
  MAX_NESTING,
  encodedTableSize,
  encodedFieldValueSize,
  writeTable,
  writeFieldValue,
  encodeTable,
  readTable,
  readTableAt,
  readFieldValue,
  tablesEqual,
  fieldValuesEqual,
} from './field-table';
export * from './frames';
export { FrameReader } from './frame-reader';
export { AmqpError } from './amqp-error';
