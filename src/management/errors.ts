import { AmqpError } from '../protocol/amqp-error';
import { ReplyCode } from '../protocol/generated/amqp';

/**
 * The management API's error catalogue: every error body is RabbitMQ's `{ "error": <type>, "reason": <text> }`.
 * Routes throw ApiError (or AmqpError from a vhost, mapped by fromAmqpError); the app's error handler renders it.
 */
export const ERROR_TYPES = {
  bad_request: 400,
  invalid_pagination_parameters: 400,
  page_out_of_range: 400,
  not_authorised: 401,
  /** Leveret: a cross-site request that would change state (see csrf.ts). */
  forbidden: 403,
  /** RabbitMQ's cowboy_rest 404 for a missing object says "Object Not Found". */
  'Object Not Found': 404,
  not_found: 404,
  method_not_allowed: 405,
  not_acceptable: 406,
  precondition_failed: 412,
  payload_too_large: 413,
  unsupported_media_type: 415,
  /** Leveret: too many live tails open for one user. */
  too_many_requests: 429,
  internal_server_error: 500,
  service_unavailable: 503,
} as const;

export type ErrorType = keyof typeof ERROR_TYPES;

export class ApiError extends Error {
  readonly statusCode: number;

  constructor(
    readonly error: ErrorType,
    readonly reason: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(`${error}: ${reason}`);
    this.name = 'ApiError';
    this.statusCode = ERROR_TYPES[error];
  }

  get body(): { error: string; reason: string } {
    return { error: this.error, reason: this.reason };
  }
}

export const AUTH_REALM = 'Basic realm="RabbitMQ Management"';

export const Errors = {
  badRequest: (reason: string): ApiError => new ApiError('bad_request', reason),
  notJson: (): ApiError => new ApiError('bad_request', 'not_json'),
  loginFailed: (): ApiError => new ApiError('not_authorised', 'Login failed', { 'www-authenticate': AUTH_REALM }),
  /** Login failed for the web UI: no Basic challenge, so the browser opens no dialog of its own. */
  sessionEnded: (): ApiError => new ApiError('not_authorised', 'Login failed'),
  notManagementUser: (): ApiError => new ApiError('not_authorised', 'Not management user'),
  loopbackOnly: (): ApiError => new ApiError('not_authorised', 'User can only log in via localhost'),
  notAdministrator: (): ApiError => new ApiError('not_authorised', 'Not administrator user'),
  notMonitor: (): ApiError => new ApiError('not_authorised', 'Not monitor user'),
  vhostForbidden: (): ApiError => new ApiError('not_authorised', 'User not authorised to access virtual host'),
  objectForbidden: (): ApiError => new ApiError('not_authorised', 'User not authorised to access object'),
  accessRefused: (): ApiError => new ApiError('not_authorised', 'Access refused.'),
  objectNotFound: (): ApiError => new ApiError('Object Not Found', 'Not Found'),
  vhostNotFound: (): ApiError => new ApiError('not_found', 'vhost_not_found'),
  notFound: (reason: string): ApiError => new ApiError('not_found', reason),
  methodNotAllowed: (): ApiError => new ApiError('method_not_allowed', 'Method Not Allowed'),
  preconditionFailed: (reason: string): ApiError => new ApiError('precondition_failed', reason),
  keyMissing: (key: string): ApiError => new ApiError('bad_request', `[{key_missing,${key}}]`),
  forbidden: (reason: string): ApiError => new ApiError('forbidden', reason),
  unsupportedMediaType: (reason: string): ApiError => new ApiError('unsupported_media_type', reason),
  tooManyRequests: (reason: string): ApiError => new ApiError('too_many_requests', reason),
  internal: (): ApiError => new ApiError('internal_server_error', 'Internal Server Error'),
};

/**
 * A vhost's AmqpError as RabbitMQ's management plugin reports it (rabbit_mgmt_util:direct_request): not_found ->
 * 404 with the explanation; access_refused and not_allowed -> 401 "Access refused."; anything else
 * (precondition_failed, resource_locked, command_invalid...) -> 400 with the explanation.
 */
export function fromAmqpError(err: AmqpError): ApiError {
  switch (err.replyCode) {
    case ReplyCode.NotFound:
      return Errors.notFound(err.detail);
    case ReplyCode.AccessRefused:
    case ReplyCode.NotAllowed:
      return Errors.accessRefused();
    default:
      return Errors.badRequest(err.detail);
  }
}

/** Any thrown value as an ApiError: unknown errors become 500 without leaking their text. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof AmqpError) return fromAmqpError(err);
  const e = err as { statusCode?: unknown; validation?: unknown; code?: unknown; message?: unknown };
  if (e !== null && typeof e === 'object') {
    if (e.validation !== undefined) return Errors.badRequest(String(e.message));
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new ApiError('payload_too_large', 'Request body is too large');
    if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new ApiError('unsupported_media_type', String(e.message));
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      return Errors.badRequest(String(e.message));
    }
  }
  return Errors.internal();
}
