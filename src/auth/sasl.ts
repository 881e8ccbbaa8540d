import { readTableAt } from '../protocol/field-table';

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

/** Mechanisms offered in connection.start, in RabbitMQ's order. */
export const SASL_MECHANISMS = ['PLAIN', 'AMQPLAIN'] as const;

/**
 * RabbitMQ's rabbitmq_auth_mechanism_ssl: the client is the user its verified TLS certificate names; the response
 * is ignored and no password is checked. Offered only on TLS connections with a verified client certificate.
 */
export const EXTERNAL = 'EXTERNAL';

/** The mechanisms connection.start offers: EXTERNAL last, so that clients taking the first one keep PLAIN. */
export function offeredMechanisms(verifiedPeer: boolean): readonly string[] {
  return verifiedPeer ? [...SASL_MECHANISMS, EXTERNAL] : SASL_MECHANISMS;
}

/**
 * Parses a start-ok response. PLAIN is "authzid\0authcid\0password" (RFC 4616); AMQPLAIN is a field table
 * without its length prefix holding LOGIN and PASSWORD. Returns undefined for an unknown mechanism and
 * null for a malformed response.
 */
export function parseSaslResponse(mechanism: string, response: Buffer): Credentials | null | undefined {
  if (mechanism === 'PLAIN') {
    const first = response.indexOf(0);
    const second = first < 0 ? -1 : response.indexOf(0, first + 1);
    if (second < 0) return null;
    return {
      username: response.subarray(first + 1, second).toString('utf8'),
      password: response.subarray(second + 1).toString('utf8'),
    };
  }
  if (mechanism === 'AMQPLAIN') {
    const framed = Buffer.allocUnsafe(response.length + 4);
    framed.writeUInt32BE(response.length, 0);
    response.copy(framed, 4);
    try {
      const table = readTableAt(framed, 0, framed.length);
      const login = table['LOGIN'];
      const password = table['PASSWORD'];
      const text = (v: unknown): string | undefined =>
        typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : undefined;
      const username = text(login);
      const pass = text(password);
      if (username === undefined || pass === undefined) return null;
      return { username, password: pass };
    } catch {
      return null;
    }
  }
  return undefined;
}
