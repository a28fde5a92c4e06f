// Jest runs the TypeScript sources as native ES modules (MikroORM 7 is ESM-only), transformed by SWC.
const swc = [
  '@swc/jest',
  {
    jsc: {
      target: 'es2024',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
    },
    module: { type: 'es6' },
  },
];

const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironment: 'node',
};

export default {
  // a global option: per-project values are ignored. The slow tiers need it; unit tests finish long before.
  testTimeout: 120_000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/unit/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/{contract,integration,reliability}/**/*.spec.ts'],
    },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.spec.ts'] },
    // the operator console in headless Chromium against a real serve; the console is built first when stale
    {
      ...common,
      displayName: 'console',
      testMatch: ['<rootDir>/test/console/**/*.spec.ts'],
      globalSetup: '<rootDir>/test/console/support/console-build.global-setup.ts',
    },
  ],
};
