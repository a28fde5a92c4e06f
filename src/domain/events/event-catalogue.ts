import { EventRegistry } from './event-registry.js';
import { iacEvents } from '../iac/iac.events.js';
import { sagaEvents } from '../saga/saga.events.js';
import { resourceEvents } from '../inventory/resource.events.js';
import { driftPolicyEvents } from '../drift/drift-policy.events.js';
import { specEvents } from '../drift/spec.events.js';
import { idempotencyEvents } from '../idempotency/idempotency.events.js';
import { jobRunEvents } from '../inventory/job-run.events.js';

/**
 * Every event type the system writes and reads, with its schema and version. Each feature adds
 * its definitions here (sagas, resources, specs and drift, IaC state); decoding an event of a type
 * missing here is a schema violation, never a silent skip.
 */
export const eventCatalogue = new EventRegistry([...iacEvents, ...sagaEvents, ...resourceEvents, ...specEvents, ...driftPolicyEvents, ...idempotencyEvents, ...jobRunEvents]);
