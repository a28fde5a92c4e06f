import type { MikroORM } from '@mikro-orm/postgresql';
import type { EventStore } from '../../domain/event-store/event-store.port.js';
import type { IacStateStore } from '../../domain/iac/iac-state-store.port.js';
import { EventSourcedIacStateStore } from './event-sourced/event-sourced.iac-state-store.js';
import { openS3IacStateStore, type S3IacStateStoreOptions } from './s3/s3.iac-state-store.js';
import type { S3ProbeResult } from './s3/s3.probe.js';

/** Which backend keeps IaC state: the event store (default) or an S3-compatible bucket. */
export type IacStateBackendConfig =
  | { readonly backend: 'event-sourced' }
  | { readonly backend: 's3'; readonly s3: S3IacStateStoreOptions };

export interface OpenedIacStateStore {
  readonly store: IacStateStore;
  /** The S3 probe's findings (for the start-up log); undefined for the event-sourced backend. */
  readonly probe?: S3ProbeResult;
  close(): Promise<void>;
}

/**
 * The composition root's one call: builds the configured backend and, for S3, probes the server
 * first (throwing UnsafeS3Server when locking would be unsafe and was not opted out of).
 */
export async function openIacStateStore(
  config: IacStateBackendConfig,
  dependencies: { readonly eventStore: EventStore; readonly orm: MikroORM },
): Promise<OpenedIacStateStore> {
  switch (config.backend) {
    case 'event-sourced':
      return { store: new EventSourcedIacStateStore(dependencies.eventStore, dependencies.orm), close: async () => undefined };
    case 's3': {
      const { store, probe } = await openS3IacStateStore(config.s3);
      return { store, probe, close: async () => store.close() };
    }
    default: {
      const _: never = config;
      throw new Error(`unknown IaC state backend ${JSON.stringify(_)}`);
    }
  }
}
