/**
 * Vite builds the dashboard into dist/web (dist/test holds the compiled tests). JSX is compiled by
 * Vite's own transformer to calls of our small DOM factory (src/dom/h.ts): no UI framework.
 */
import { defineConfig } from 'vite';

export default defineConfig({
  oxc: {
    jsx: { runtime: 'classic', pragma: 'h', pragmaFrag: 'Fragment' },
  },
  build: {
    outDir: 'dist/web',
    emptyOutDir: true,
    // TensorFlow.js is loaded on demand (the model pages) and is most of the weight.
    chunkSizeWarningLimit: 2_000,
  },
});
