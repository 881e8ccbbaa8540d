import { fieldTypeName, type FieldValue } from '../protocol/field-table';

/** RabbitMQ-style resource names in error texts: "queue 'q' in vhost '/'". */
export function resourceName(kind: 'queue' | 'exchange', name: string, vhost: string): string {
  return `${kind} '${name}' in vhost '${vhost}'`;
}

/** How RabbitMQ prints a field value and its wire type in equivalence errors. */
export function describeValue(value: FieldValue | undefined): string {
  if (value === undefined) return 'none';
  return `the value '${printValue(value)}' of type '${fieldTypeName(value)}'`;
}

export function printValue(value: FieldValue): string {
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (value instanceof Date) return String(Math.floor(value.getTime() / 1000));
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}
