import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));
/** The service the dev server forwards API calls to (`npm run dev:web` next to `npm start`). */
const service = process.env.DESKMAIL_URL ?? 'http://127.0.0.1:3000';

// The admin UI is built once, at install/build time, into dist/web/, which the service serves
// at `/` (src/web/web.module.ts). Nothing is fetched at run time: no CDN, no web fonts.
export default defineConfig({
  root: here,
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../../../dist/web', import.meta.url)),
    emptyOutDir: true,
    // Hashed file names under /assets/ are served with a long immutable cache.
    assetsDir: 'assets',
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    proxy: Object.fromEntries(['/v1', '/oauth', '/docs', '/docs-json', '/health'].map((path) => [path, service])),
  },
});
