import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { consoleRouter } from './console.middleware.js';

describe('the console middleware', () => {
  let dir: string;
  let server: Server;
  let base: string;

  const serve = (consoleDir: string) =>
    new Promise<void>((resolve) => {
      const app = express();
      app.use('/console', consoleRouter(consoleDir));
      app.use((_req, res) => void res.status(418).end());
      server = app.listen(0, '127.0.0.1', () => {
        const address = server.address();
        base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
        resolve();
      });
    });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'console-'));
  });
  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  describe('given a built console', () => {
    beforeEach(async () => {
      mkdirSync(join(dir, 'assets'));
      writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title>');
      writeFileSync(join(dir, 'assets', 'index-abc.js'), 'console.log(1)');
      await serve(dir);
    });

    it('answers a client route with index.html, uncached, under a same-origin script policy', async () => {
      const response = await fetch(`${base}/console/sagas/some-id?status=failed`);
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('<title>console</title>');
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(response.headers.get('content-security-policy')).not.toContain('unsafe-inline');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    });

    it('serves the hashed assets for a year', async () => {
      const response = await fetch(`${base}/console/assets/index-abc.js`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('javascript');
      expect(response.headers.get('cache-control')).toContain('immutable');
    });

    it('answers 404 for a missing asset, never index.html in its place', async () => {
      const response = await fetch(`${base}/console/assets/gone.js`);
      expect(response.status).toBe(404);
    });

    it('redirects /console to /console/, keeping the query', async () => {
      const response = await fetch(`${base}/console?x=1`, { redirect: 'manual' });
      expect(response.status).toBe(301);
      expect(response.headers.get('location')).toBe('/console/?x=1');
    });

    it('refuses a write', async () => {
      const response = await fetch(`${base}/console/`, { method: 'POST' });
      expect(response.status).toBe(405);
    });
  });

  describe('when the console was not built', () => {
    beforeEach(() => serve(join(dir, 'missing')));

    it('answers 404 with a page saying to run npm run build', async () => {
      const response = await fetch(`${base}/console/inventory`);
      expect(response.status).toBe(404);
      expect(await response.text()).toContain('npm run build');
    });
  });
});
