// The static app: Preact with the automatic JSX runtime, relative asset URLs so the build works
// under any path prefix, and no inline script (the server's Content-Security-Policy forbids it).
import { defineConfig } from 'vite';

export default defineConfig({
  base: './',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist/web',
    target: 'es2022',
    modulePreload: { polyfill: false },
    sourcemap: true,
  },
  server: {
    // `npm run dev -w dashboard` next to `npm start`: the APIs through the all-in-one dashboard port.
    proxy: { '/api': 'http://localhost:3000' },
  },
});
