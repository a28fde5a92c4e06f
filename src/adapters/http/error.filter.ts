import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import type { Response } from 'express';
import type { Logger } from 'pino';
import { WrongExpectedRevision } from '../../domain/event-store/event-store.errors.js';
import { Conflict, ExpectedError, Forbidden, InvalidInput, NotAllowed, NotFound, PreconditionFailed } from '../../domain/errors.js';
import { IdempotentRequestInProgress } from '../../domain/idempotency/idempotency.decider.js';
import { currentRequest } from './request-context.js';

/** Errors the body parser raises, by their `type`. */
const BODY_PARSER_ERRORS: Readonly<Record<string, [number, string, string]>> = {
  'entity.too.large': [HttpStatus.PAYLOAD_TOO_LARGE, 'payload_too_large', 'the request body is larger than the limit'],
  'entity.parse.failed': [HttpStatus.BAD_REQUEST, 'invalid_json', 'the request body is not valid JSON'],
  'encoding.unsupported': [HttpStatus.UNSUPPORTED_MEDIA_TYPE, 'unsupported_encoding', 'the request body encoding is not supported'],
  'charset.unsupported': [HttpStatus.UNSUPPORTED_MEDIA_TYPE, 'unsupported_charset', 'the request body charset is not supported'],
};

/**
 * The one mapping from errors to HTTP (STYLE.md 12). Expected errors carry their own message; an
 * unexpected one answers 500 with the request id only, and is logged in full.
 */
export function toHttpError(error: unknown): [number, Record<string, unknown>] {
  if (error instanceof InvalidInput) return [400, { error: error.code, message: 'invalid input', issues: error.issues }];
  if (error instanceof Forbidden) return [403, { error: error.code, message: error.message, ...error.details, tokenRole: currentRequest()?.principal?.role }];
  if (error instanceof NotFound) return [404, { error: error.code, message: error.message, ...error.details }];
  if (error instanceof WrongExpectedRevision) {
    return [409, { error: 'wrong_expected_revision', message: 'someone else changed this first; read it again and retry', stream: error.stream, expected: String(error.expected), actual: String(error.actual) }];
  }
  if (error instanceof Conflict) return [409, { error: error.code, message: error.message, ...error.details }];
  if (error instanceof PreconditionFailed) return [412, { error: error.code, message: error.message, ...error.details }];
  if (error instanceof NotAllowed) return [422, { error: error.code, message: error.message, ...error.details }];
  if (error instanceof ExpectedError) return [400, { error: error.code, message: error.message, ...error.details }];
  // Nest wraps the body parser's errors in an HttpException whose cause says what went wrong
  const type = ((error instanceof HttpException ? error.cause : error) as { type?: unknown } | null)?.type;
  if (typeof type === 'string' && BODY_PARSER_ERRORS[type]) {
    const [status, code, message] = BODY_PARSER_ERRORS[type];
    return [status, { error: code, message }];
  }
  if (error instanceof HttpException) return [error.getStatus(), httpExceptionBody(error)];
  return [500, { error: 'internal', message: 'internal error' }];
}

function respond(logger: Logger, error: unknown, response: Response): void {
  const requestId = currentRequest()?.requestId;
  const [status, body] = toHttpError(error);
  if (status >= 500) logger.error({ err: error, requestId }, 'unexpected error');
  // the first request with this key is still running: its answer will be there shortly
  if (error instanceof IdempotentRequestInProgress) response.setHeader('retry-after', '1');
  response.status(status).json({ ...body, requestId });
}

/** Errors thrown by middleware (the body parser), guards, interceptors and handlers. */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(error: unknown, host: ArgumentsHost): void {
    respond(this.logger, error, host.switchToHttp().getResponse<Response>());
  }
}

/** Nest's own exceptions (unknown route, rate limit, the guard's) in the same `{error, message}` shape. */
function httpExceptionBody(error: HttpException): Record<string, unknown> {
  const status = error.getStatus();
  if (status === HttpStatus.TOO_MANY_REQUESTS) return { error: 'rate_limited', message: 'too many requests for this token; retry later' };
  const payload = error.getResponse();
  if (typeof payload === 'object' && payload !== null && typeof (payload as { error?: unknown }).error === 'string' && !('statusCode' in payload)) {
    return payload as Record<string, unknown>;
  }
  const code = (HttpStatus[status] ?? 'http_error').toLowerCase();
  return { error: code, message: typeof payload === 'string' ? payload : error.message };
}
