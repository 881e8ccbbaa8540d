/**
 * The handshake of an attacker connection: protocol header, start-ok, tune-ok and open, valid or with one of them
 * mutated or extreme (handshake scripts). A share of the logins use the start-ok amqplib really sent (its
 * client-properties table, recorded in amqplib-traffic.json) instead of the one built here.
 */
import type { FieldTable } from '../../src/protocol/field-table';
import { encodeMethodFrame } from '../../src/protocol/generated/amqp';
import { PROTOCOL_HEADER } from '../../src/protocol/frames';
import type { Rng } from '../../src/protocol/test-support/random';
import { mutate, poisonTable, type Frame, type MutationContext } from './mutate';
import type { Credentials, Hello } from './script';
import { trafficHandshake } from './traffic';
import { chance, specMethod } from './vocabulary';
import { argumentSpans, frame, FRAME_METHOD, fv, payloadOf, rawTable, splice } from './wire';

const REAL = trafficHandshake();

export function hello(rng: Rng, creds: Credentials, frameMax: number, heartbeat: number, mutateOne: boolean): Hello {
  const ctx: MutationContext = { frameMax, channels: [] };
  let clientProperties: FieldTable = {
    product: 'leveret-fuzz',
    capabilities: { publisher_confirms: true, consumer_cancel_notify: true, 'connection.blocked': true, authentication_failure_close: rng.bool() },
  };
  const amqplain = chance(rng, 0.2);
  const response = amqplain
    ? rawTable([['LOGIN', fv.str(creds.user)], ['PASSWORD', fv.str(creds.password)]]).subarray(4)
    : Buffer.from(`\0${creds.user}\0${creds.password}`);
  const raw = (bytes: Buffer, label: string): Frame => ({ bytes, label, mutated: false, kind: 'raw', channel: 0 });
  const m = (name: string, args: Record<string, unknown>): Frame => {
    const sm = specMethod(name);
    return { bytes: encodeMethodFrame(0, sm.id, args as never), label: name, mutated: false, kind: 'method', channel: 0, method: sm };
  };
  let header = raw(PROTOCOL_HEADER, 'protocol-header');
  let tuneArgs = { channelMax: 2047, frameMax, heartbeat };
  let vhost = creds.vhost;
  let pipelined = false;
  let which = -1;
  if (mutateOne) {
    which = rng.int(6);
    switch (which) {
      case 0:
        header = { ...raw(rng.pick([Buffer.from('AMQP\x00\x00\x09\x02', 'latin1'), Buffer.from('AMQP\x01\x01\x00\x09', 'latin1'), Buffer.from('AMQP\x00\x00\x08\x00', 'latin1'), Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), Buffer.from('AMQ'), Buffer.alloc(8, 0xff)]), 'protocol-header ~bad-header'), mutated: true };
        break;
      case 1:
        // Client properties that are hostile; when they decode, the broker keeps them and the management API
        // shows them. Half the time only the capabilities are odd, half the time the whole table is replaced.
        clientProperties = { product: 'leveret-fuzz', capabilities: rng.pick<FieldTable[keyof FieldTable]>(['x', 5, null, { authentication_failure_close: 'yes' }, [true]]) };
        break;
      case 2:
        tuneArgs = {
          channelMax: rng.pick([0, 1, 65535, 2048]),
          frameMax: rng.pick([0, 4095, 4096, 0xffffffff, 131073, 131072]),
          heartbeat: rng.pick([0, 1, 65535]),
        };
        break;
      case 3:
        vhost = rng.pick(['', '/x', '//', 'x'.repeat(255), '\u0000']);
        break;
      case 4:
        pipelined = true;
        break;
      default:
        break;
    }
  }
  let startOk = m('connection.start-ok', { clientProperties, mechanism: amqplain ? 'AMQPLAIN' : 'PLAIN', response, locale: 'en_US' });
  // amqplib's own start-ok logs in as guest/guest: only when those are the credentials.
  const real = chance(rng, 0.3) && REAL !== undefined && creds.user === 'guest' && creds.password === 'guest' && which !== 1;
  if (real) startOk = REAL.startOk;
  if (which === 5) startOk = mutate(rng, startOk, ctx);
  if (which === 1) {
    if (rng.bool()) {
      const { bytes, what } = poisonTable(rng);
      const p = payloadOf(startOk.bytes);
      const span = argumentSpans(specMethod('connection.start-ok').fields, p)[0]!;
      startOk = { ...startOk, bytes: frame(FRAME_METHOD, 0, splice(p, span.start, span.end, bytes)), label: `${startOk.label} ~client-properties(${what})`, mutated: true };
    } else {
      startOk = { ...startOk, label: `${startOk.label} ~odd-capabilities`, mutated: true };
    }
  }
  let tuneOk = m('connection.tune-ok', tuneArgs);
  if (which === 2) tuneOk = { ...tuneOk, label: `${tuneOk.label} ~${JSON.stringify(tuneArgs)}`, mutated: true };
  let open = m('connection.open', { virtualHost: vhost, capabilities: '', insist: false });
  if (which === 3) open = { ...open, label: `${open.label} ~vhost`, mutated: true };
  return { header, startOk, tuneOk, open, valid: !mutateOne || which === 4, pipelined };
}
