/** The Nest token the composed Application (adapters/app/application.ts) is provided under. */
export const APPLICATION = Symbol('Application');
