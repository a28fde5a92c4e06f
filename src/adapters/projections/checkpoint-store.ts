import type { EntityManager } from '@mikro-orm/core';
import type { MikroORM } from '@mikro-orm/postgresql';
import { formatPosition, type Position, START } from '../../domain/event-store/position.js';
import { type ProjectionCheckpoint, ProjectionCheckpointEntity } from '../../projections/checkpoints/projection-checkpoint.entity.js';

/** A checkpoint as the table holds it. */
export interface CheckpointRow {
  name: string;
  position: string;
  status: ProjectionCheckpoint['status'];
  events_applied: string;
  last_error: string | null;
  failed_event_id: string | null;
  updated_at: Date;
}

/**
 * The `projection_checkpoints` table: where each projection stands (and each rebuild, under
 * `<name>:rebuild`), and whether it runs. Methods that take an `em` run in that transaction, so a
 * batch's rows and its checkpoint commit together.
 */
export class CheckpointStore {
  constructor(private readonly orm: MikroORM) {}

  /** The checkpoint, created at the start of the log when the projection is new. */
  async ensure(name: string): Promise<CheckpointRow> {
    const connection = this.orm.em.getConnection();
    await connection.execute(
      `insert into projection_checkpoints (name, position) values (?, ?) on conflict (name) do nothing`,
      [name, formatPosition(START)],
    );
    const [row] = await connection.execute<CheckpointRow[]>('select * from projection_checkpoints where name = ?', [name]);
    return row!;
  }

  /**
   * Locks the checkpoint row until the transaction ends, and says whether it is still at `expected`,
   * where this writer left it: if not, another writer or a rebuild moved it.
   */
  async lockAt(em: EntityManager, name: string, expected: Position): Promise<boolean> {
    const [checkpoint] = await em
      .getConnection()
      .execute<{ position: string }[]>('select position from projection_checkpoints where name = ? for update', [name], 'all', em.getTransactionContext());
    return checkpoint !== undefined && checkpoint.position === formatPosition(expected);
  }

  /** Locks the checkpoint row until the transaction ends, wherever it stands. */
  async lock(em: EntityManager, name: string): Promise<void> {
    await em.getConnection().execute('select 1 from projection_checkpoints where name = ? for update', [name], 'all', em.getTransactionContext());
  }

  /**
   * Moves the checkpoint from `expected` on to `position`, over `events` applied, and locks its row
   * until the transaction ends; false when it was not at `expected` (another writer or a rebuild
   * moved it), and then nothing is written.
   */
  async advanceFrom(em: EntityManager, name: string, expected: Position, position: Position, events: number, lastEventAt: Date): Promise<boolean> {
    const moved = await em.getConnection().execute<{ name: string }[]>(
      `update projection_checkpoints set position = ?, events_applied = events_applied + ?, last_event_at = ?,
         updated_at = now() where name = ? and position = ? returning name`,
      [formatPosition(position), events, lastEventAt, name, formatPosition(expected)],
      'all',
      em.getTransactionContext(),
    );
    return moved.length > 0;
  }

  /**
   * Moves the checkpoint over events none of which is the projection's, in one conditional update of
   * its own, as `advanceFrom` does in a batch's transaction; false when it is no longer at `expected`
   * (another writer moved it).
   */
  async moveOver(name: string, expected: Position, to: Position): Promise<boolean> {
    const moved = await this.orm.em
      .getConnection()
      .execute<{ name: string }[]>('update projection_checkpoints set position = ?, updated_at = now() where name = ? and position = ? returning name', [
        formatPosition(to),
        name,
        formatPosition(expected),
      ]);
    return moved.length > 0;
  }

  /** Stops the projection at an event it could not apply, with the reason, until an operator resumes it. */
  async stop(em: EntityManager, name: string, failure: { readonly error: string; readonly eventId: string; readonly position: Position }): Promise<void> {
    await em.getConnection().execute(
      `update projection_checkpoints set status = 'stopped', last_error = ?, failed_event_id = ?, failed_position = ?,
         updated_at = now() where name = ?`,
      [failure.error, failure.eventId, formatPosition(failure.position), name],
      'run',
      em.getTransactionContext(),
    );
  }

  /**
   * Lets a stopped projection go on. With `skipFailedEvent`, the event that stopped it is passed
   * over (the checkpoint moves onto it); without, it is read again, e.g. after an upcaster fix.
   */
  async resume(name: string, skipFailedEvent: boolean): Promise<void> {
    await this.orm.em.getConnection().execute(
      `update projection_checkpoints set status = 'running', last_error = null, failed_event_id = null,
         position = case when ? and failed_position is not null then failed_position else position end,
         failed_position = null, updated_at = now()
       where name = ? and status = 'stopped'`,
      [skipFailedEvent, name],
    );
  }

  /** A rebuild's own checkpoint, fresh at the start of the log. */
  async startRebuild(rebuild: string): Promise<void> {
    const connection = this.orm.em.getConnection();
    await connection.execute('delete from projection_checkpoints where name = ?', [rebuild]);
    await connection.execute(`insert into projection_checkpoints (name, position, status) values (?, ?, 'rebuilding')`, [rebuild, formatPosition(START)]);
  }

  /** The live checkpoint takes the rebuild's place (running, no error), and the rebuild's goes. */
  async takeOverRebuild(em: EntityManager, live: string, rebuild: string): Promise<void> {
    const connection = em.getConnection();
    const tx = em.getTransactionContext();
    await connection.execute(
      `update projection_checkpoints live set position = r.position, events_applied = r.events_applied,
         last_event_at = r.last_event_at, status = 'running', last_error = null, failed_event_id = null,
         failed_position = null, updated_at = now()
       from projection_checkpoints r where live.name = ? and r.name = ?`,
      [live, rebuild],
      'run',
      tx,
    );
    await connection.execute('delete from projection_checkpoints where name = ?', [rebuild], 'run', tx);
  }

  /** The checkpoints of these projections; one that never ran has none. */
  find(names: readonly string[]): Promise<ProjectionCheckpoint[]> {
    return this.orm.em.fork().find(ProjectionCheckpointEntity, { name: { $in: [...names] } });
  }
}
