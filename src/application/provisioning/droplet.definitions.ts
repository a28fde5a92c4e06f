import { z } from 'zod';
import type { SagaDefinition } from '../../domain/saga/saga-definitions.js';
import { isReservedTag, MANAGED_TAG, RESERVED_TAG_PREFIX } from '../../domain/inventory/resource.js';
import { extend } from '../../domain/saga/saga-step.js';
import { applyInputs, applyTarget, beginApplyStep, recordAppliedStep } from '../desired-state/steps/apply.steps.js';
import { beginRevertStep, beginRevertStepV1, completeRevertStep, revertInputs, revertInputsV1, revertTarget } from '../drift/steps/revert.steps.js';
import {
  adoptInputs,
  createDropletInput,
  createDropletSnapshotStep,
  createDropletStep,
  destroyDropletStep,
  type DropletStepDeps,
  tagName,
  registerAdoptedStep,
  registerDropletStep,
  resizeDropletStep,
  retagDropletStep,
  shutdownDropletStep,
  tagManagedStep,
  waitDropletActiveStep,
} from './steps/droplet.steps.js';

export const PROVISION_DROPLET = 'provision_droplet';
export const DESTROY_DROPLET = 'destroy_droplet';
export const SNAPSHOT_DROPLET = 'snapshot_droplet';
export const REVERT_DRIFT = 'revert_drift';
export const APPLY_SPEC = 'apply_spec';
export const ADOPT_DROPLET = 'adopt_droplet';

const dropletTarget = z.object({ dropletId: z.number().int().positive() });
export const snapshotInputs = dropletTarget.extend({ label: z.string().min(1).max(255).optional() });

/** A provisioning request: the create step's input, with none of the tags only cloudledger sets. */
export const provisionRequest = createDropletInput.extend({
  tags: z
    .array(tagName.refine((tag) => !isReservedTag(tag), `is reserved: ${MANAGED_TAG} and ${RESERVED_TAG_PREFIX}* tags are set by cloudledger only`))
    .max(50)
    .default([]),
});

/** The droplet templates: provision = [create, wait active, register]; destroy; snapshot; adopt; the drift revert and the spec apply. */
export function dropletSagaDefinitions(deps: DropletStepDeps): SagaDefinition[] {
  // the droplet and the value come from what begin_revert read on the spec stream, never from the inputs
  const target = (ctx: { output(step: string): unknown }) => revertTarget.parse(ctx.output('begin_revert'));
  const resize = extend(resizeDropletStep(deps), { inputFrom: (ctx) => ({ dropletId: target(ctx).dropletId, size: target(ctx).value }) });
  const retag = extend(retagDropletStep(deps), { inputFrom: (ctx) => ({ dropletId: target(ctx).dropletId, tags: target(ctx).value }) });
  const resizeV1 = extend(resizeDropletStep(deps), { inputFrom: (ctx) => ({ dropletId: ctx.input('dropletId'), size: ctx.input('value') }) });
  const retagV1 = extend(retagDropletStep(deps), { inputFrom: (ctx) => ({ dropletId: ctx.input('dropletId'), tags: ctx.input('value') }) });
  // apply: the droplet and the values come from what begin_apply read on the spec stream
  const planned = (ctx: { output(step: string): unknown }) => applyTarget.parse(ctx.output('begin_apply'));
  const applySize = extend(resizeDropletStep(deps), { inputFrom: (ctx) => ({ dropletId: planned(ctx).dropletId, size: planned(ctx).size }) });
  const applyTags = extend(retagDropletStep(deps), { inputFrom: (ctx) => ({ dropletId: planned(ctx).dropletId, tags: planned(ctx).tags }) });
  const recordApplied = extend(recordAppliedStep(deps), { inputFrom: (ctx) => ({ dropletId: planned(ctx).dropletId }) });
  return [
    {
      name: PROVISION_DROPLET,
      version: 1,
      description: 'create a droplet tagged with its saga, wait until it is active, record it in the inventory with its desired spec',
      inputs: provisionRequest,
      steps: [createDropletStep(deps), waitDropletActiveStep(deps), registerDropletStep(deps)],
      startableBy: 'operator',
    },
    // through the generic route these act on any droplet, managed or not: platform_admin only
    // (operators use DELETE /droplets/:id and POST /droplets/:id/snapshots, which check)
    {
      name: DESTROY_DROPLET,
      version: 2,
      description: 'shut a droplet down gracefully (best effort), destroy it and record its deletion',
      inputs: dropletTarget,
      steps: [shutdownDropletStep(deps), destroyDropletStep(deps)],
      startableBy: 'platform_admin',
    },
    { name: DESTROY_DROPLET, version: 1, description: 'the first destroy, kept for sagas started with it', inputs: dropletTarget, steps: [destroyDropletStep(deps)] },
    {
      name: SNAPSHOT_DROPLET,
      version: 1,
      description: 'snapshot a droplet under a deterministic name',
      inputs: snapshotInputs,
      steps: [createDropletSnapshotStep(deps)],
      startableBy: 'platform_admin',
    },
    {
      name: ADOPT_DROPLET,
      version: 1,
      description: 'put a droplet made outside cloudledger under management: tag it managed, record it and its spec (given, or its live state)',
      inputs: adoptInputs,
      steps: [tagManagedStep(deps), registerAdoptedStep(deps)],
    },
    // internal: started by POST /specs/:id/apply only (no startableBy)
    {
      name: APPLY_SPEC,
      version: 1,
      description: "converge a droplet on its declared spec: resize and/or retag (the drift revert's steps), then record what it is now",
      inputs: applyInputs,
      steps: (inputs) => {
        const { fields } = applyInputs.parse(inputs);
        return [beginApplyStep(deps.store), ...(fields.includes('size_slug') ? [applySize] : []), ...(fields.includes('tags') ? [applyTags] : []), recordApplied];
      },
    },
    // internal: started by POST /drift/:id/revert only (no startableBy)
    {
      name: REVERT_DRIFT,
      version: 2,
      description: "change a droplet back to its spec's value (resize for size_slug, tag/untag for tags) and close the drift as reverted",
      inputs: revertInputs,
      steps: (inputs) => [beginRevertStep(deps.store), inputs.field === 'tags' ? retag : resize, completeRevertStep(deps.store)],
    },
    {
      name: REVERT_DRIFT,
      version: 1,
      description: 'the first revert, kept for sagas started with it: the value came in with the inputs',
      inputs: revertInputsV1,
      steps: (inputs) => [beginRevertStepV1(deps.store), inputs.field === 'tags' ? retagV1 : resizeV1, completeRevertStep(deps.store)],
    },
  ];
}
