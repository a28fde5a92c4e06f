import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findBoundaryViolations, type SourceText } from './domain-boundary.js';

const domainRoot = fileURLToPath(new URL('../../../src/domain', import.meta.url));

function domainSources(): SourceText[] {
  return readdirSync(domainRoot, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.spec.ts'))
    .sort()
    .map((name) => {
      const path = join(domainRoot, name);
      return { path, text: readFileSync(path, 'utf8') };
    });
}

describe('the domain boundary', () => {
  it('src/domain imports nothing but itself and zod, and reads no clock or random source', () => {
    // given every source file of the domain
    const files = domainSources();
    expect(files.length).toBeGreaterThan(0);

    // when they are checked
    const violations = findBoundaryViolations(files, domainRoot);

    // then none crosses the boundary
    expect(violations).toEqual([]);
  });

  describe('findBoundaryViolations', () => {
    const at = (name: string) => join(domainRoot, name);

    it('reports a deliberate violation of each kind', () => {
      // given files that import Nest, climb into an adapter and read the clock
      const files: SourceText[] = [
        { path: at('drift/drift.decider.ts'), text: "import { Injectable } from '@nestjs/common';\n" },
        { path: at('drift/drift.events.ts'), text: "import { client } from '../../adapters/x.js';\n" },
        { path: at('saga/saga.decider.ts'), text: 'export const now = () =>\n  Date.now();\n' },
      ];

      // when they are checked
      const violations = findBoundaryViolations(files, domainRoot);

      // then each one is reported, where it stands
      expect(violations).toEqual([
        { path: at('drift/drift.decider.ts'), line: 1, rule: 'outward-import', subject: '@nestjs/common' },
        { path: at('drift/drift.events.ts'), line: 1, rule: 'outward-import', subject: '../../adapters/x.js' },
        { path: at('saga/saga.decider.ts'), line: 2, rule: 'non-determinism', subject: 'Date.now()' },
      ]);
    });

    it('catches every form of import and every clock or random read', () => {
      // given one file using each form the check knows
      const text = [
        "import type { Pool } from 'pg';",
        "export { MikroORM } from '@mikro-orm/core';",
        "export * from '../../projections/projection.js';",
        "import crypto = require('node:crypto');",
        "const lazy = () => import('@kurrent/kurrentdb-client');",
        "type Ref = import('../../application/x.js').Handler;",
        "import '../../../package.json';",
        'const a = new Date();',
        'const b = new Date;',
        'const c = Date();',
        'const d = Math.random();',
        'const e = randomUUID();',
        'const f = globalThis.crypto.randomUUID();',
        "import { trace } from '@opentelemetry/api';",
      ].join('\n');

      // when it is checked
      const violations = findBoundaryViolations([{ path: at('events/all.ts'), text }], domainRoot);

      // then every line is reported once
      expect(violations.map((v) => [v.line, v.rule, v.subject])).toEqual([
        [1, 'outward-import', 'pg'],
        [2, 'outward-import', '@mikro-orm/core'],
        [3, 'outward-import', '../../projections/projection.js'],
        [4, 'outward-import', 'node:crypto'],
        [5, 'outward-import', '@kurrent/kurrentdb-client'],
        [6, 'outward-import', '../../application/x.js'],
        [7, 'outward-import', '../../../package.json'],
        [8, 'non-determinism', 'new Date()'],
        [9, 'non-determinism', 'new Date'],
        [10, 'non-determinism', 'Date()'],
        [11, 'non-determinism', 'Math.random()'],
        [12, 'non-determinism', 'randomUUID()'],
        [13, 'non-determinism', 'globalThis.crypto.randomUUID()'],
        // tracing belongs to the layers around the domain, even the no-op API
        [14, 'outward-import', '@opentelemetry/api'],
      ]);
    });

    it('accepts zod, paths that stay inside the domain and time handed in', () => {
      // given a file that depends only on zod and its neighbours, and builds dates from arguments
      const text = [
        "import { z } from 'zod';",
        "import type { Position } from '../event-store/position.js';",
        "export * from './event-envelope.js';",
        "import { toSagaStream } from '../../domain/streams.js';",
        'export const at = (now: number) => new Date(now);',
        "export const label = 'Date.now() and Math.random() in a string are only text';",
      ].join('\n');

      // when it is checked
      const violations = findBoundaryViolations([{ path: at('events/ok.ts'), text }], domainRoot);

      // then nothing is reported
      expect(violations).toEqual([]);
    });
  });
});
