import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';

/**
 * The operator console: the static bundle `npm run build` writes to dist/console (console/README.md),
 * served at /console by plain Express rather than a controller — static files need no token, and
 * every Nest route must declare its role. Client routes (/console/sagas/…) fall back to index.html.
 */

/** dist/console of this package, whether the server runs from dist/ or from src/ (tests): both sit three folders below the root. */
export function defaultConsoleDir(): string {
  return fileURLToPath(new URL('../../../dist/console', import.meta.url));
}

/**
 * Same-origin scripts, styles and API calls only: the bundle has no inline script or style
 * element (React sets style properties through the DOM, which style-src does not govern).
 */
const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

function securityHeaders(res: Response): void {
  res.setHeader('content-security-policy', CONSOLE_CSP);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('x-frame-options', 'DENY');
}

const MISSING = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>cloudledger console not built</title></head>
<body><main><h1>The console is not built</h1>
<p>This server has no <code>dist/console</code>. Run <code>npm run build</code> (or <code>npm start</code>, which builds first), then reload.</p>
</main></body></html>
`;

export function consoleRouter(dir: string = defaultConsoleDir()): Router {
  const router = express.Router({ strict: true });
  const index = join(dir, 'index.html');
  const built = (): boolean => existsSync(index);

  router.use((req: Request, res: Response, next: NextFunction) => {
    securityHeaders(res);
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.status(405).setHeader('allow', 'GET, HEAD').end();
    if (!built()) return void res.status(404).type('html').setHeader('cache-control', 'no-store').send(MISSING);
    // /console → /console/ so the bundle's relative router sees its base
    if (req.originalUrl === '/console' || req.originalUrl.startsWith('/console?')) return void res.redirect(301, `/console/${req.originalUrl.slice('/console'.length)}`);
    next();
  });
  // hashed file names: cache for a year; index.html is never cached, so a new build is picked up
  router.use('/assets', express.static(join(dir, 'assets'), { index: false, immutable: true, maxAge: '365d', fallthrough: false }));
  router.use(express.static(dir, { index: false, maxAge: 0 }));
  router.use((_req: Request, res: Response) => {
    res.setHeader('cache-control', 'no-store');
    res.sendFile(index);
  });
  return router;
}
