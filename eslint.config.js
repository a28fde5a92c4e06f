// @ts-check
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

/**
 * The domain imports nothing but itself and zod (DESIGN.md, "Layers"). A relative path that climbs
 * out of src/domain can only be told apart by how deep the importing file sits, so one block is
 * generated per depth: a file `depth` folders below src/domain reaches src/ after `depth` `../`
 * and may only continue into `domain/`.
 */
const DOMAIN_MAX_DEPTH = 6;

const outwardPackages = [
  { group: ['@nestjs/*'], message: 'The domain does not know Nest: put it in src/adapters or src/application.' },
  { group: ['@mikro-orm/*'], message: 'The domain does not know MikroORM: persistence is an adapter.' },
  { group: ['@kurrent/*'], message: 'The domain does not know KurrentDB: the event store is a port.' },
  { group: ['pg', 'pg/*'], message: 'The domain does not know PostgreSQL: the event store is a port.' },
  { group: ['node:*'], message: 'No Node built-ins in the domain: side effects come in as arguments.' },
  {
    // Any other bare specifier (a package, or a built-in without `node:` such as `crypto`); the
    // groups above are left out so each import is reported once, with the more telling message.
    regex: '^(?!zod(/|$)|\\.{1,2}(/|$)|@nestjs/|@mikro-orm/|@kurrent/|pg(/|$)|node:)',
    message: 'The domain imports nothing but itself and zod.',
  },
];

/** @param {number} depth folders between src/domain and the file (0 for src/domain/streams.ts) */
function domainImportBlock(depth) {
  const climbs = depth + 1;
  const climbOut = `^(\\.\\./){${climbs}}(?!domain(/|$))|^(\\.\\./){${climbs - 1}}\\.\\.$`;
  return {
    name: `cloudledger/domain-boundary/depth-${depth}`,
    files: [`src/domain/${'*/'.repeat(depth)}*.ts`],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...outwardPackages,
            { regex: climbOut, message: 'This path leaves src/domain: dependencies point inward only.' },
          ],
        },
      ],
    },
  };
}

/**
 * The application layer imports, of the project, only itself and the domain — never src/adapters
 * (nor src/projections) — and none of the packages the adapters wrap: it works through ports.
 * Built like the domain's blocks: one per depth below src/application. The unit test
 * test/unit/architecture/application-boundary.spec.ts checks the same rule and proves it fails.
 */
const APPLICATION_MAX_DEPTH = 6;

const adapterPackages = {
  group: ['pg', 'pg/*', 'express', '@mikro-orm/*', '@kurrent/*', '@electric-sql/*', '@aws-sdk/*', '@nestjs/platform-express', '@opentelemetry/*', '!@opentelemetry/api'],
  message:
    'The application works through ports: database, ORM, event store, S3, HTTP server and OpenTelemetry SDK packages belong to src/adapters (tracing uses @opentelemetry/api only).',
};

/** @param {number} depth folders between src/application and the file (0 for src/application/concurrency.ts) */
function applicationImportBlock(depth) {
  const climbs = depth + 1;
  const climbOut = `^(\\.\\./){${climbs}}(?!(domain|application)(/|$))|^(\\.\\./){${climbs - 1}}\\.\\.$`;
  return {
    name: `cloudledger/application-boundary/depth-${depth}`,
    files: [`src/application/${'*/'.repeat(depth)}*.ts`],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            adapterPackages,
            { regex: climbOut, message: 'The application imports only itself and src/domain: adapters come in through ports.' },
          ],
        },
      ],
    },
  };
}

const nonDeterminism = 'Time and ids come in as arguments: the domain stays deterministic.';

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', '.data/', 'coverage/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    name: 'cloudledger/base',
    languageOptions: {
      ecmaVersion: 2024,
      sourceType: 'module',
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
        },
      ],
    },
  },
  {
    // the operator console runs in the browser (console/README.md)
    name: 'cloudledger/console',
    files: ['console/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'warn',
    },
  },
  {
    name: 'cloudledger/tests',
    files: ['**/*.spec.ts', 'test/**/*.ts'],
    languageOptions: { globals: { ...globals.jest } },
  },
  ...Array.from({ length: DOMAIN_MAX_DEPTH }, (_, depth) => domainImportBlock(depth)),
  ...Array.from({ length: APPLICATION_MAX_DEPTH }, (_, depth) => applicationImportBlock(depth)),
  {
    name: 'cloudledger/domain-determinism',
    files: ['src/domain/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: nonDeterminism },
        { object: 'Math', property: 'random', message: nonDeterminism },
        // Any `x.randomUUID`, whether reached through `crypto` or `globalThis.crypto`.
        { property: 'randomUUID', message: nonDeterminism },
        { object: 'crypto', property: 'getRandomValues', message: nonDeterminism },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: nonDeterminism },
        // `Date()` without `new` also reads the clock (it returns the current time as a string).
        { selector: "CallExpression[callee.name='Date']", message: nonDeterminism },
        { selector: "CallExpression[callee.name='randomUUID']", message: nonDeterminism },
        { selector: 'ImportExpression', message: 'No dynamic imports in the domain: they bypass the boundary check.' },
      ],
    },
  },
);
