// The apply_spec steps of their own, one file each, gathered for its definition in droplet.definitions.ts
// (the resize and the retag between them are the droplet steps a drift revert takes too).
export { applyInputs } from './apply-step.support.js';
export { applyTarget, beginApplyStep } from './begin-apply.step.js';
export { recordAppliedStep } from './record-applied.step.js';
