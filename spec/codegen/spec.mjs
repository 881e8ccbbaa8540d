// Loads spec/amqp0-9-1.json and validates it: known primitives, unique class, method and field ids, responses that
// exist, at most 15 properties per class. Returns the spec and its classes with fields resolved to primitives.
import { readFileSync } from 'node:fs';
import { camel, pascal } from './names.mjs';

const PRIMITIVES = new Set(['bit', 'octet', 'short', 'long', 'longlong', 'shortstr', 'longstr', 'timestamp', 'table']);

function fail(msg) {
  throw new Error(`spec/amqp0-9-1.json: ${msg}`);
}

export function loadSpec(specPath) {
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
