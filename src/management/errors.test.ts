import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AmqpError } from '../protocol/amqp-error';
import { ApiError, ERROR_TYPES, Errors, fromAmqpError, toApiError } from './errors';

describe('error catalogue', () => {
  test('every catalogue entry has an HTTP status and renders {error, reason}', () => {
    for (const [type, status] of Object.entries(ERROR_TYPES)) {
      const err = new ApiError(type as keyof typeof ERROR_TYPES, 'why');
      expect(err.statusCode).toBe(status);
      expect(err.body).toEqual({ error: type, reason: 'why' });
    }
  });

  test('every factory produces a catalogued type with RabbitMQ texts', () => {
    for (const make of Object.values(Errors)) {
      const err = (make as (arg: string) => ApiError)('x');
      expect(ERROR_TYPES[err.error]).toBe(err.statusCode);
    }
    expect(Errors.loginFailed().body).toEqual({ error: 'not_authorised', reason: 'Login failed' });
    expect(Errors.loginFailed().headers['www-authenticate']).toBe('Basic realm="RabbitMQ Management"');
    expect(Errors.notAdministrator().body).toEqual({ error: 'not_authorised', reason: 'Not administrator user' });
    expect(Errors.objectNotFound().body).toEqual({ error: 'Object Not Found', reason: 'Not Found' });
  });

  test('the catalogue and README.md stay in step: same types, same statuses', () => {
    const readme = readFileSync(join(__dirname, 'README.md'), 'utf8');
    const documented = new Map<string, number>();
    for (const match of readme.matchAll(/^\| `([^`]+)` \| (\d{3}) \|/gm)) documented.set(match[1] as string, Number(match[2]));
    expect(Object.fromEntries(documented)).toEqual(ERROR_TYPES);
  });

  test('AmqpError mapping follows rabbit_mgmt_util:direct_request', () => {
    expect(fromAmqpError(new AmqpError(404, "no queue 'q' in vhost '/'")).body).toEqual({ error: 'not_found', reason: "no queue 'q' in vhost '/'" });
    expect(fromAmqpError(new AmqpError(403, 'refused')).body).toEqual({ error: 'not_authorised', reason: 'Access refused.' });
    expect(fromAmqpError(new AmqpError(530, 'not allowed')).statusCode).toBe(401);
    expect(fromAmqpError(new AmqpError(406, 'inequivalent arg')).body).toEqual({ error: 'bad_request', reason: 'inequivalent arg' });
    expect(fromAmqpError(new AmqpError(405, 'locked')).statusCode).toBe(400);
    expect(fromAmqpError(new AmqpError(503, 'unknown exchange type')).statusCode).toBe(400);
  });

  test('unknown errors are a 500 without their text; validation errors 400', () => {
    expect(toApiError(new Error('secret')).body).toEqual({ error: 'internal_server_error', reason: 'Internal Server Error' });
    expect(toApiError(Object.assign(new Error('body/durable must be boolean'), { validation: [] })).body).toEqual({
      error: 'bad_request',
      reason: 'body/durable must be boolean',
    });
  });
});
