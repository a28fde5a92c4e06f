// The built-in steps, one file each, gathered for builtin.definitions.ts and the tests that build sagas of them.
export { failStep } from './fail.step.js';
export { flakyStep } from './flaky.step.js';
export { fragileUndoStep } from './fragile-undo.step.js';
export { noopStep } from './noop.step.js';
export { sleepStep } from './sleep.step.js';
