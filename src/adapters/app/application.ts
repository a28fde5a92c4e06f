import { DesiredStateService } from '../../application/desired-state/desired-state.service.js';
import { DriftPolicyService } from '../../application/drift/drift-policy.service.js';
import { DriftService } from '../../application/drift/drift.service.js';
import { IdempotentCommands } from '../../application/idempotency/idempotent-commands.js';
import { InventorySync } from '../../application/inventory/inventory-sync.js';
import { JobRuns } from '../../application/inventory/job-runs.js';
import { ResourceHistory } from '../../application/inventory/resource-history.js';
import { DropletCommands } from '../../application/provisioning/droplet-commands.js';
import type { SagaReadModel } from '../../application/saga/saga.ports.js';
import type { SagaService } from '../../application/saga/saga.service.js';
import type { CloudProvider } from '../../domain/cloud/cloud.port.js';
import type { EventStore } from '../../domain/event-store/event-store.port.js';
import type { IacStateStore } from '../../domain/iac/iac-state-store.port.js';
import { cloudDriftProjection } from '../../projections/drift/cloud-drift.projection.js';
import { cloudProvisionedProjection } from '../../projections/drift/cloud-provisioned.projection.js';
import { driftPoliciesProjection } from '../../projections/drift/drift-policies.projection.js';
import { cloudResourcesProjection } from '../../projections/inventory/cloud-resources.projection.js';
import { ApiTokenService } from '../auth/api-token.service.js';
import { PgDetectionReadModel } from '../inventory/detection-read-model.js';
import { PgDriftInbox } from '../inventory/drift-inbox.js';
import { PgDriftPolicies } from '../inventory/drift-policies.js';
import { PgResourceReadModel } from '../inventory/resource-read-model.js';
import { AdvisoryJobLease } from '../projections/advisory-lease.js';
import type { SagaEngine } from '../saga/saga-engine.js';
import type { Infrastructure } from './infrastructure.js';

/** The application services and read models the command and query handlers are thin shells over. */
export interface Application {
  readonly sagas: SagaService;
  readonly sagaList: SagaReadModel;
  readonly droplets: DropletCommands;
  readonly resources: PgResourceReadModel;
  readonly desiredState: DesiredStateService;
  readonly jobRuns: JobRuns;
  readonly driftInbox: PgDriftInbox;
  readonly driftPolicies: PgDriftPolicies;
  readonly sync: InventorySync;
  readonly drift: DriftService;
  /** Ignore policies made, ended and applied; the read side is `driftPolicies`. */
  readonly driftPolicyCommands: DriftPolicyService;
  readonly history: ResourceHistory;
  readonly tokens: ApiTokenService;
  readonly idempotency: IdempotentCommands;
  /** The log itself, for what follows it live (the console's server-sent events). */
  readonly log: Pick<EventStore, 'subscribeToAll' | 'headPosition'>;
  /** Opened on first use (for S3 that probes the bucket). */
  iacState(): Promise<IacStateStore>;
}

/**
 * Builds the application over opened infrastructure, the same for the server and the CLI: the
 * saga engine (whose definitions need a cloud, or one that refuses) and the cloud the inventory
 * sync lists come from the caller.
 */
export function composeApplication(infrastructure: Infrastructure, sagas: SagaEngine, inventoryCloud: CloudProvider): Application {
  const { orm, eventStore, runner, databaseUrl } = infrastructure;
  const resources = new PgResourceReadModel(orm);
  const driftInbox = new PgDriftInbox(orm);
  const driftPolicies = new PgDriftPolicies(orm);
  const settleDrift = () => runner.waitForCatchUp([cloudResourcesProjection, cloudProvisionedProjection, cloudDriftProjection, driftPoliciesProjection]);
  const drift = new DriftService(eventStore, new PgDetectionReadModel(orm), driftInbox, driftPolicies, sagas.service, settleDrift);
  const sync = new InventorySync(inventoryCloud, eventStore, resources, new AdvisoryJobLease(databaseUrl), {
    deleteGraceMs: infrastructure.config.inventoryDeleteGraceSeconds * 1000,
    settle: () => runner.waitForCatchUp([cloudResourcesProjection]),
    // a change a sync sees is judged at once, not at the next sweep
    afterChanges: (changed, metadata) => drift.detectObserved(changed, metadata),
  });
  return {
    sagas: sagas.service,
    sagaList: sagas.readModel,
    droplets: new DropletCommands(eventStore, sagas.service),
    resources,
    desiredState: new DesiredStateService(eventStore, sagas.service),
    jobRuns: new JobRuns(eventStore),
    driftInbox,
    driftPolicies,
    sync,
    drift,
    driftPolicyCommands: new DriftPolicyService(eventStore, drift, driftInbox, settleDrift),
    history: new ResourceHistory(eventStore),
    tokens: new ApiTokenService(orm),
    idempotency: new IdempotentCommands(eventStore),
    log: eventStore,
    iacState: () => infrastructure.iacState(),
  };
}
