import { defineConfig } from 'vite';

/**
 * The operator console: a static bundle served by `serve` at /console, same origin as the API.
 * Plain Vite (its Oxc transform compiles TSX with the automatic JSX runtime): no React plugin is
 * needed for a production build, and none is wanted for fast refresh in a console this small.
 */
export default defineConfig({
  root: import.meta.dirname,
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: '../dist/console',
    emptyOutDir: true,
    // no inline scripts or data: URLs, so a strict Content-Security-Policy holds
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: true,
    rolldownOptions: {
      // react-router marks its modules "use client" for React Server Components, which a
      // client-only bundle has no use for
      onLog(level, log, handler) {
        if (log.code === 'MODULE_LEVEL_DIRECTIVE') return;
        handler(level, log);
      },
    },
  },
  server: {
    // `npx vite console` against a local `serve`
    proxy: { '/api': 'http://127.0.0.1:3000' },
  },
});
