import type { Command } from 'commander';
import { ROLES } from '../../domain/access/roles.js';
import { parseDuration } from '../auth/api-token.service.js';
import { IssueToken, ListTokens, RevokeToken } from '../dispatch/tokens.js';
import { printJson, printTable } from './output.js';
import { withApplication } from './with-application.js';

export function registerTokenCommands(program: Command): void {
  const tokens = program.command('tokens').description('API tokens: create, list, revoke (only their hashes are stored)');

  tokens
    .command('create')
    .description('create a token and print it once')
    .requiredOption('--name <name>', 'a name for the token; recorded as the actor of what it does')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .option('--expires-in <duration>', 'lifetime, e.g. 30d, 12h, 90m (default: no expiry)')
    .option('--json', 'machine-readable output')
    .action((options: { name: string; role: string; expiresIn?: string; json?: boolean }) =>
      withApplication(async (dispatch) => {
        const expiresAt = options.expiresIn === undefined ? null : new Date(Date.now() + parseDuration(options.expiresIn));
        const { token, listing } = await dispatch.command(new IssueToken(options.name, options.role, expiresAt));
        if (options.json) printJson({ ...listing, token });
        else {
          const until = listing.expiresAt ? ` until ${listing.expiresAt.toISOString()}` : '';
          process.stdout.write(`Created ${listing.role} token "${listing.name}"${until}. It is shown once, keep it safe:\n\n  ${token}\n\n`);
        }
      }),
    );

  tokens
    .command('list')
    .description('the live tokens (with --all, revoked ones too); never the tokens themselves')
    .option('--all', 'include revoked tokens')
    .option('--json', 'machine-readable output')
    .action((options: { all?: boolean; json?: boolean }) =>
      withApplication(async (dispatch) => {
        const { items } = await dispatch.query(new ListTokens({ includeRevoked: options.all ?? false }));
        if (options.json) printJson(items);
        else printTable(items, ['name', 'role', 'tokenPrefix', 'createdAt', 'createdBy', 'expiresAt', 'lastUsedAt', 'revokedAt']);
      }),
    );

  tokens
    .command('revoke')
    .description('revoke a live token by name; requests with it answer 401 from then on')
    .argument('<name>', 'the token name')
    .action((name: string) =>
      withApplication(async (dispatch) => {
        await dispatch.command(new RevokeToken(name));
        process.stdout.write(`Revoked "${name}".\n`);
      }),
    );
}
