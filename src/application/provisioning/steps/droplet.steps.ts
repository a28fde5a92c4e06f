// The droplet steps, one file each, gathered for droplet.definitions.ts and the callers outside this folder.
export { createDropletSnapshotStep, snapshotName } from './create-droplet-snapshot.step.js';
export { createDropletInput, createDropletStep } from './create-droplet.step.js';
export { destroyDropletStep } from './destroy-droplet.step.js';
export { DEFAULT_DROPLET_TIMING, type DropletStepDeps, type DropletStepTiming } from './droplet-step.deps.js';
export { tagName } from './droplet-step.support.js';
export { adoptInputs, registerAdoptedStep } from './register-adopted.step.js';
export { registerDropletStep } from './register-droplet.step.js';
export { resizeDropletStep } from './resize-droplet.step.js';
export { retagDropletStep } from './retag-droplet.step.js';
export { shutdownDropletStep } from './shutdown-droplet.step.js';
export { tagManagedStep } from './tag-managed.step.js';
export { waitDropletActiveStep } from './wait-droplet-active.step.js';
