import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler, type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { TokenListing } from '../auth/api-token.service.js';
import type { Application } from '../app/application.js';
import { APPLICATION } from './application-token.js';
import { AppCommand, AppQuery } from './dispatch-context.js';

/**
 * Makes an API token and answers it once (only its hash is kept); the sender is recorded as its
 * creator. Never under an idempotency key: the result would be kept, and it is a secret.
 */
export class IssueToken extends AppCommand<{ token: string; listing: TokenListing }> {
  constructor(
    readonly name: string,
    readonly role: string,
    readonly expiresAt: Date | null,
  ) {
    super();
  }
}

/** Revokes a live token by name: requests with it answer 401 from then on. */
export class RevokeToken extends AppCommand<void> {
  constructor(readonly name: string) {
    super();
  }
}

/** Tokens oldest first (with `includeRevoked`, revoked ones too); never the tokens themselves. */
export class ListTokens extends AppQuery<{ items: TokenListing[]; nextCursor: string | null }> {
  constructor(readonly filter: { readonly includeRevoked: boolean; readonly limit?: number; readonly cursor?: string }) {
    super();
  }
}

@CommandHandler(IssueToken)
export class IssueTokenHandler implements ICommandHandler<IssueToken> {
  constructor(@Inject(APPLICATION) private readonly app: Application) {}
  execute(command: IssueToken): Promise<{ token: string; listing: TokenListing }> {
    if (command.context.idempotencySeed !== undefined) throw new Error('IssueToken does not run under an idempotency key: its result is a secret, and would be kept');
    return this.app.tokens.create(command.name, command.role, command.context.actor, { expiresAt: command.expiresAt });
  }
}

@CommandHandler(RevokeToken)
export class RevokeTokenHandler implements ICommandHandler<RevokeToken> {
  constructor(@Inject(APPLICATION) private readonly app: Application) {}
  execute(command: RevokeToken): Promise<void> {
    return this.app.tokens.revoke(command.name);
  }
}

@QueryHandler(ListTokens)
export class ListTokensHandler implements IQueryHandler<ListTokens> {
  constructor(@Inject(APPLICATION) private readonly app: Application) {}
  execute(query: ListTokens): Promise<{ items: TokenListing[]; nextCursor: string | null }> {
    return this.app.tokens.list(query.filter);
  }
}

export const tokenHandlers = [IssueTokenHandler, RevokeTokenHandler, ListTokensHandler];
