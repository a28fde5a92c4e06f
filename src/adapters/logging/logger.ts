import type { LoggerService } from '@nestjs/common';
import { pino, type DestinationStream, type LevelWithSilent, type Logger } from 'pino';
import { currentRequest } from '../http/request-context.js';

/** Paths whose values never reach a log line. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["idempotency-key"]',
  'headers.authorization',
  'authorization',
  'token',
  '*.token',
  'password',
  '*.password',
  'secretAccessKey',
  '*.secretAccessKey',
];

export interface LoggerOptions {
  readonly level?: LevelWithSilent;
  /** Human-readable lines (pino-pretty) instead of JSON: for a developer's terminal. */
  readonly pretty?: boolean;
  /** Where lines go; default stdout. Tests pass a stream to capture them. */
  readonly destination?: DestinationStream;
}

/** Structured JSON logs; every line written while serving a request carries its request and correlation ids. */
export function createLogger({ level = 'info', pretty = false, destination }: LoggerOptions = {}): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      mixin() {
        const request = currentRequest();
        return request ? { requestId: request.requestId, correlationId: request.correlationId, actor: request.principal?.name } : {};
      },
      ...(pretty && !destination ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } } : {}),
    },
    destination,
  );
}

/** Nest's own messages go through the same structured logger. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string): void {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
}
