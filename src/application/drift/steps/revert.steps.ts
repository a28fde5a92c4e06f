// The drift-revert steps, one file each, gathered for the revert_drift definitions in droplet.definitions.ts.
export { beginRevertStepV1 } from './begin-revert-v1.step.js';
export { beginRevertStep, revertTarget } from './begin-revert.step.js';
export { completeRevertStep } from './complete-revert.step.js';
export { revertInputs, revertInputsV1 } from './revert-step.support.js';
