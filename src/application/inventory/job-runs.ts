import { StreamNotFound } from '../../domain/event-store/event-store.errors.js';
import type { EventStore } from '../../domain/event-store/event-store.port.js';
import { eventCatalogue } from '../../domain/events/event-catalogue.js';
import { DRIFT_DETECTION_JOB, INVENTORY_SYNC_JOB, type JobRunEvent } from '../../domain/inventory/job-run.events.js';
import { toJobStream } from '../../domain/streams.js';
import { encodeEvents, type Metadata } from '../event-stream.js';

const JOB_OF: Readonly<Record<JobRunEvent['type'], string>> = { InventorySyncRan: INVENTORY_SYNC_JOB, DriftDetectionRan: DRIFT_DETECTION_JOB };

/** The runs of the recurring jobs, one event each on the job's stream: recorded after a run, read for "last ran at". */
export class JobRuns {
  constructor(private readonly store: EventStore) {}

  /** Appends the run (to whatever the stream holds: runs do not conflict with each other). */
  async record(run: JobRunEvent, metadata: Metadata): Promise<void> {
    await this.store.appendToStream(toJobStream(JOB_OF[run.type]), encodeEvents([run], metadata), { expectedRevision: 'any' });
  }

  /** When the job last ran, or null when it never has. */
  async lastRunAt(job: typeof INVENTORY_SYNC_JOB | typeof DRIFT_DETECTION_JOB): Promise<string | null> {
    try {
      for await (const recorded of this.store.readStream(toJobStream(job), { direction: 'backwards', maxCount: 1 })) {
        return (eventCatalogue.decode(recorded).data as JobRunEvent['data']).at;
      }
    } catch (error) {
      if (!(error instanceof StreamNotFound)) throw error;
    }
    return null;
  }
}
