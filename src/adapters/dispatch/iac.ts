import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler, type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { roleAtLeast } from '../../domain/access/roles.js';
import { Forbidden, NotAllowed, NotFound } from '../../domain/errors.js';
import { type IacLock, type IacLockRequest, type LockView, withoutLockId } from '../../domain/iac/iac-lock.js';
import { hasHistory, type IacHistoryEntry, type IacPage } from '../../domain/iac/iac-state-store.port.js';
import { type IacStateFilter, type IacStateRecord, resourceIdSchema } from '../../domain/iac/iac-state.js';
import type { Application } from '../app/application.js';
import { keysetCursor } from '../persistence/keyset-cursor.js';
import { APPLICATION } from './application-token.js';
import { AppCommand, AppQuery, type HandlerContext } from './dispatch-context.js';

export interface PageRequest {
  readonly limit: number;
  readonly cursor?: string;
}
export interface IdPage<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}

/** Inserts or replaces a record (validated by the store); on a locked record, the holder's lock id. */
export class SaveIacState extends AppCommand<IacStateRecord> {
  constructor(
    readonly record: unknown,
    readonly lockId: string | undefined,
  ) {
    super();
  }
}

export class DeleteIacState extends AppCommand<void> {
  constructor(
    readonly resourceId: string,
    readonly lockId: string | undefined,
  ) {
    super();
  }
}

export class LockIacState extends AppCommand<IacLock> {
  constructor(
    readonly resourceId: string,
    readonly request: IacLockRequest,
  ) {
    super();
  }
}

export class RenewIacLock extends AppCommand<IacLock> {
  constructor(
    readonly resourceId: string,
    readonly lockId: string,
    readonly ttlSeconds: number | undefined,
  ) {
    super();
  }
}

/** Releases the lock the sender holds. */
export class UnlockIacState extends AppCommand<void> {
  constructor(
    readonly resourceId: string,
    readonly lockId: string,
  ) {
    super();
  }
}

/** Removes whoever's lock it is: platform_admin only (its holder may still think it holds it). */
export class ForceUnlockIacState extends AppCommand<IacLock> {
  constructor(
    readonly resourceId: string,
    readonly lockId: string,
  ) {
    super();
  }
}

export class ListIacStates extends AppQuery<IdPage<IacStateRecord>> {
  constructor(
    readonly filter: IacStateFilter,
    readonly page: PageRequest,
  ) {
    super();
  }
}

/** Every live lock; the lock ids only to platform_admin. */
export class ListIacLocks extends AppQuery<IdPage<IacLock | LockView>> {
  constructor(readonly page: PageRequest) {
    super();
  }
}

/** One record; StateNotFound (404) when there is none. */
export class GetIacState extends AppQuery<IacStateRecord> {
  constructor(readonly resourceId: string) {
    super();
  }
}

/** A record's live lock, or null; its lock id only to platform_admin. */
export class GetIacLock extends AppQuery<IacLock | LockView | null> {
  constructor(readonly resourceId: string) {
    super();
  }
}

/** Every change of a record and its locks (event-sourced backend); lock ids only to platform_admin. */
export class GetIacHistory extends AppQuery<IacHistoryEntry[]> {
  constructor(readonly resourceId: string) {
    super();
  }
}

const idCursor = keysetCursor(resourceIdSchema);

/** A page of an IaC list: one more than the limit is read, to know whether another page follows. */
async function pageOfIds<T>(read: (page: IacPage) => Promise<T[]>, idOf: (item: T) => string, request: PageRequest): Promise<IdPage<T>> {
  const items = await read({ limit: request.limit + 1, ...(request.cursor === undefined ? {} : { after: idCursor.decode(request.cursor)[0] }) });
  const page = items.slice(0, request.limit);
  return { items: page, nextCursor: items.length > request.limit ? idCursor.encode([idOf(page.at(-1)!)]) : null };
}

/** Lock ids are for their holder and platform_admin (to force-unlock): everyone else sees the lock without it. */
const seesLockIds = (context: HandlerContext): boolean => roleAtLeast(context.role, 'platform_admin');

/** A history entry's data without lock ids, for a sender who may not see them. */
function redactLockIds(data: unknown): unknown {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return data;
  return Object.fromEntries(Object.entries(data).filter(([key]) => key !== 'lockId'));
}

@CommandHandler(SaveIacState)
export class SaveIacStateHandler implements ICommandHandler<SaveIacState> {
  constructor(@Inject(APPLICATION) private readonly app: Application) {}
  async execute(command: SaveIacState): Promise<IacStateRecord> {
    return (await this.app.iacState()).save(command.record, { lockId: command.lockId }, command.context);
  }
}

@CommandHandler(DeleteIacState)
export class DeleteIacStateHandler implements ICommandHandler<DeleteIacState> {
  constructor(@Inject(APPLICATION) private readonly app: Application) {}
  async execute(command: DeleteIacState): Promise<void> {
    await (await this.app.iacState()).delete(command.resourceId, { lockId: command.lockId }, command.context);
  }
}

@CommandHandler(LockIacState)
export class LockIacStateHandler implements ICommandHandler<LockIacState> {
  constructor(@Inject(APPLICATION) private readonly app: Application) {}
  async execute(command: LockIacState): Promise<IacLock> {
    return (await this.app.iacState()).lock(command.resourceId, command.request, command.context);
  }
}

@CommandHandler(RenewIacLock)
export class RenewIacLockHandler implements ICommandHandler<RenewIacLock> {
  constructor(@Inject(APPLICATION) private readonly app: Application) {}
  async execute(command: RenewIacLock): Promise<IacLock> {
    return (await this.app.iacState()).renewLock(command.resourceId, command.lockId, { ttlSeconds: command.ttlSeconds }, command.context);
  }
}

@CommandHandler(UnlockIacState)
export class UnlockIacStateHandler implements ICommandHandler<UnlockIacState> {
  constructor(@Inject(APPLICATION) private readonly app: Application) {}
  async execute(command: UnlockIacState): Promise<void> {
    await (await this.app.iacState()).unlock(command.resourceId, command.lockId, command.context);
  }
}

@CommandHandler(ForceUnlockIacState)
export class ForceUnlockIacStateHandler implements ICommandHandler<ForceUnlockIacState> {
  constructor(@Inject(APPLICATION) private readonly app: Application) {}
  async execute(command: ForceUnlockIacState): Promise<IacLock> {
    if (!roleAtLeast(command.context.role, 'platform_admin')) throw new Forbidden('force-unlock needs the platform_admin role', 'platform_admin');
    return (await this.app.iacState()).forceUnlock(command.resourceId, command.lockId, command.context);
  }
}

@QueryHandler(ListIacStates)
export class ListIacStatesHandler implements IQueryHandler<ListIacStates> {
  constructor(@Inject(APPLICATION) private readonly app: Application) {}
  async execute(query: ListIacStates): Promise<IdPage<IacStateRecord>> {
    const store = await this.app.iacState();
    return pageOfIds((page) => store.list(query.filter, page), (record) => record.resource_id, query.page);
  }
}

@QueryHandler(ListIacLocks)
export class ListIacLocksHandler implements IQueryHandler<ListIacLocks> {
  constructor(@Inject(APPLICATION) private readonly app: Application) {}
  async execute(query: ListIacLocks): Promise<IdPage<IacLock | LockView>> {
    const store = await this.app.iacState();
    const page = await pageOfIds((p) => store.listLocks(p), (lock) => lock.resourceId, query.page);
    return seesLockIds(query.context) ? page : { ...page, items: page.items.map(withoutLockId) };
  }
}

@QueryHandler(GetIacState)
export class GetIacStateHandler implements IQueryHandler<GetIacState> {
  constructor(@Inject(APPLICATION) private readonly app: Application) {}
  async execute(query: GetIacState): Promise<IacStateRecord> {
    const record = await (await this.app.iacState()).get(query.resourceId);
    if (!record) throw new NotFound(`no state record for ${query.resourceId}`);
    return record;
  }
}

@QueryHandler(GetIacLock)
export class GetIacLockHandler implements IQueryHandler<GetIacLock> {
  constructor(@Inject(APPLICATION) private readonly app: Application) {}
  async execute(query: GetIacLock): Promise<IacLock | LockView | null> {
    const lock = await (await this.app.iacState()).getLock(query.resourceId);
    return lock && !seesLockIds(query.context) ? withoutLockId(lock) : lock;
  }
}

@QueryHandler(GetIacHistory)
export class GetIacHistoryHandler implements IQueryHandler<GetIacHistory> {
  constructor(@Inject(APPLICATION) private readonly app: Application) {}
  async execute(query: GetIacHistory): Promise<IacHistoryEntry[]> {
    const store = await this.app.iacState();
    if (!hasHistory(store)) throw new NotAllowed('this IaC state backend keeps no history (set IAC_STATE_BACKEND=event-sourced)');
    const entries = await store.history(query.resourceId);
    return seesLockIds(query.context) ? entries : entries.map((entry) => ({ ...entry, data: redactLockIds(entry.data) }));
  }
}

export const iacHandlers = [
  SaveIacStateHandler,
  DeleteIacStateHandler,
  LockIacStateHandler,
  RenewIacLockHandler,
  UnlockIacStateHandler,
  ForceUnlockIacStateHandler,
  ListIacStatesHandler,
  ListIacLocksHandler,
  GetIacStateHandler,
  GetIacLockHandler,
  GetIacHistoryHandler,
];
