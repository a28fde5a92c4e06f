import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { moduleSpecifiers, type SourceText } from './module-specifiers.js';

export interface ApplicationBoundaryViolation {
  readonly path: string;
  /** 1-based. */
  readonly line: number;
  /** The offending specifier, as written. */
  readonly subject: string;
}

/**
 * Packages that are the adapters' business: a database driver, the ORM, an event store client, the
 * embedded database, S3, the HTTP server, OpenTelemetry's SDK, exporters and instrumentations.
 * Application code reaches them only through ports — or, for tracing, through `@opentelemetry/api`,
 * which is a no-op until the SDK (src/adapters/telemetry/) registers itself.
 */
const ADAPTER_PACKAGE =
  /^(pg|express|@mikro-orm\/[^/]+|@kurrent\/[^/]+|@electric-sql\/[^/]+|@aws-sdk\/[^/]+|@nestjs\/platform-express|@opentelemetry\/(?!api(\/|$))[^/]+)(\/|$)/;

/**
 * What DESIGN.md ("Layers") asks of src/application: of the project's own code it imports only
 * itself and src/domain — never src/adapters (nor src/projections, whose entities are persistence)
 * — and none of the packages adapters wrap. Other packages (zod, node:crypto for ids,
 * @opentelemetry/api) it may use.
 */
export function findApplicationBoundaryViolations(files: readonly SourceText[], applicationRoot: string): ApplicationBoundaryViolation[] {
  const root = resolve(applicationRoot);
  const allowed = [root, resolve(root, '../domain')];
  return files.flatMap((file) =>
    moduleSpecifiers(file)
      // a computed import() could load anything: it is reported as written
      .filter(({ specifier, computed }) => computed || !isAllowed(specifier, file.path, allowed))
      .map(({ line, specifier }) => ({ path: file.path, line, subject: specifier })),
  );
}

function isAllowed(specifier: string, importer: string, allowedRoots: readonly string[]): boolean {
  const relativePath = specifier === '.' || specifier === '..' || specifier.startsWith('./') || specifier.startsWith('../');
  if (!relativePath) return !isAbsolute(specifier) && !ADAPTER_PACKAGE.test(specifier);
  const target = resolve(dirname(importer), specifier);
  return allowedRoots.some((root) => {
    const fromRoot = relative(root, target);
    return fromRoot !== '..' && !fromRoot.startsWith('../') && !isAbsolute(fromRoot);
  });
}
