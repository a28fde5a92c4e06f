import { z } from 'zod';
import type { SagaDefinition } from '../../domain/saga/saga-definitions.js';
import { extend } from '../../domain/saga/saga-step.js';
import { beginRevertStep, completeRevertStep, revertInputs } from '../drift/drift-revert.steps.js';
import {
  createDropletInput,
  createDropletSnapshotStep,
  createDropletStep,
  destroyDropletStep,
  type DropletStepDeps,
  registerDropletStep,
  resizeDropletStep,
  retagDropletStep,
  waitDropletActiveStep,
} from './droplet.steps.js';

export const PROVISION_DROPLET = 'provision_droplet';
export const DESTROY_DROPLET = 'destroy_droplet';
export const SNAPSHOT_DROPLET = 'snapshot_droplet';
export const REVERT_DRIFT = 'revert_drift';

const dropletTarget = z.object({ dropletId: z.number().int().positive() });
export const snapshotInputs = dropletTarget.extend({ label: z.string().min(1).max(255).optional() });

/** The droplet templates: provision = [create, wait active, register]; destroy; snapshot; and the drift revert. */
export function dropletSagaDefinitions(deps: DropletStepDeps): SagaDefinition[] {
  const resize = extend(resizeDropletStep(deps), { inputFrom: (ctx) => ({ dropletId: ctx.input('dropletId'), size: ctx.input('value') }) });
  const retag = extend(retagDropletStep(deps), { inputFrom: (ctx) => ({ dropletId: ctx.input('dropletId'), tags: ctx.input('value') }) });
  return [
    {
      name: PROVISION_DROPLET,
      version: 1,
      description: 'create a droplet tagged with its saga, wait until it is active, record it in the inventory with its desired spec',
      inputs: createDropletInput,
      steps: [createDropletStep(deps), waitDropletActiveStep(deps), registerDropletStep(deps)],
    },
    { name: DESTROY_DROPLET, version: 1, description: 'destroy a droplet and record its deletion', inputs: dropletTarget, steps: [destroyDropletStep(deps)] },
    { name: SNAPSHOT_DROPLET, version: 1, description: 'snapshot a droplet under a deterministic name', inputs: snapshotInputs, steps: [createDropletSnapshotStep(deps)] },
    {
      name: REVERT_DRIFT,
      version: 1,
      description: 'change a droplet back to its spec (resize for size_slug, tag/untag for tags) and close the drift as reverted',
      inputs: revertInputs,
      steps: (inputs) => [beginRevertStep(deps.store), inputs.field === 'tags' ? retag : resize, completeRevertStep(deps.store)],
    },
  ];
}
