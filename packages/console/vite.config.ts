import { defineConfig } from 'vite';

// The console is served by the API process under a strict CSP (script-src 'self', no inline script): every script
// and style is a file under /assets/ with a content hash in its name, and nothing is inlined into index.html.
export default defineConfig({
  root: '.',
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: 'es2022',
  },
});
