import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { findApplicationBoundaryViolations } from './application-boundary.js';
import type { SourceText } from './module-specifiers.js';

const applicationRoot = fileURLToPath(new URL('../../../src/application', import.meta.url));

function applicationSources(): SourceText[] {
  return readdirSync(applicationRoot, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.spec.ts'))
    .sort()
    .map((name) => {
      const path = join(applicationRoot, name);
      return { path, text: readFileSync(path, 'utf8') };
    });
}

const violating = [
  "import { PgResourceReadModel } from '../../adapters/inventory/resource-read-model.js';",
  "import type { AnyProjection } from '../../projections/projection.js';",
  "export { MikroORM } from '@mikro-orm/core';",
  "import pg = require('pg');",
  "const lazy = () => import('../../adapters/app/server.js');",
  "type Config = import('../../adapters/config/config.js').AppConfig;",
  "import '../../../package.json';",
  'const any = (name: string) => import(name);',
  "import { KurrentDBClient } from '@kurrent/kurrentdb-client';",
  "import { S3Client } from '@aws-sdk/client-s3';",
  "import { NodeSDK } from '@opentelemetry/sdk-node';",
  "import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';",
].join('\n');

const allowed = [
  "import { z } from 'zod';",
  "import { randomUUID } from 'node:crypto';",
  "import type { EventStore } from '../../domain/event-store/event-store.port.js';",
  "import { handleCommand } from '../command-handler.js';",
  "export * from './drift.ports.js';",
  "type Step = import('../../domain/saga/saga-step.js').SagaStep;",
  "import { trace, type Span } from '@opentelemetry/api';",
].join('\n');

describe('the application boundary', () => {
  it('src/application imports only itself and src/domain of the project, and no adapter package', () => {
    // given every source file of the application layer
    const files = applicationSources();
    expect(files.length).toBeGreaterThan(0);

    // when they are checked
    const violations = findApplicationBoundaryViolations(files, applicationRoot);

    // then none reaches into the adapters
    expect(violations).toEqual([]);
  });

  describe('findApplicationBoundaryViolations', () => {
    const at = (name: string) => join(applicationRoot, name);

    it('reports a deliberate violation of each kind, where it stands', () => {
      // given application files that reach a read model, a projection, the ORM, and out of src
      const text = violating;

      // when it is checked
      const violations = findApplicationBoundaryViolations([{ path: at('drift/drift.service.ts'), text }], applicationRoot);

      // then every line is reported once
      expect(violations.map((v) => [v.line, v.subject])).toEqual([
        [1, '../../adapters/inventory/resource-read-model.js'],
        [2, '../../projections/projection.js'],
        [3, '@mikro-orm/core'],
        [4, 'pg'],
        [5, '../../adapters/app/server.js'],
        [6, '../../adapters/config/config.js'],
        [7, '../../../package.json'],
        [8, 'name'],
        [9, '@kurrent/kurrentdb-client'],
        [10, '@aws-sdk/client-s3'],
        [11, '@opentelemetry/sdk-node'],
        [12, '@opentelemetry/sdk-trace'],
      ]);
      expect(violations.every((v) => v.path === at('drift/drift.service.ts'))).toBe(true);
    });

    it('accepts the domain, the application itself, zod, Node built-ins and the OpenTelemetry API', () => {
      // given a file that depends on ports in the domain, a neighbour, zod, node:crypto and @opentelemetry/api
      const text = allowed;

      // when it is checked
      const violations = findApplicationBoundaryViolations([{ path: at('drift/ok.ts'), text }], applicationRoot);

      // then nothing is reported
      expect(violations).toEqual([]);
    });
  });

  describe('the lint rule in eslint.config.js', () => {
    const restrictedImportLines = async (text: string): Promise<number[]> => {
      const projectRoot = fileURLToPath(new URL('../../../', import.meta.url));
      const [result] = await new ESLint({ cwd: projectRoot }).lintText(text, { filePath: join(applicationRoot, 'drift/drift.service.ts') });
      return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.line);
    };

    it('refuses the same static imports while editing, and accepts what the layer may use', async () => {
      // given the violations above, linted as a file of src/application / when linted
      // then every static import, re-export and `import x = require()` is refused (`import()` and import
      // types are beyond no-restricted-imports: the check above is the complete one)
      expect(await restrictedImportLines(violating)).toEqual([1, 2, 3, 4, 7, 9, 10, 11, 12]);
      expect(await restrictedImportLines(allowed)).toEqual([]);
    });
  });
});
