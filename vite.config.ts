/// <reference types="vitest/config" />
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

/**
 * Cross-origin isolation (COOP + COEP) lets the tfjs WASM backend use threads
 * (SharedArrayBuffer); set on both the dev and the preview server. A host that sends no headers
 * gets them from the service worker, public/sw.js (docs/tfjs.md#wasm-threads-need-isolation-and-unminified-glue).
 */
const crossOriginIsolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  plugins: [
    react(),
    // The one service worker, public/sw.js (cross-origin isolation and the offline cache), is ours;
    // the plugin only writes the build's file list into it (`self.__WB_MANIFEST`). main.tsx registers it.
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'public',
      filename: 'sw.js',
      injectRegister: false,
      manifest: false,
      injectManifest: {
        globPatterns: ['**/*.{html,js,css,wasm,svg}'],
        // The compute worker bundles tfjs (~2.5 MB): the default 2 MiB limit would leave it out.
        maximumFileSizeToCacheInBytes: 16 * 1024 * 1024,
        minify: false, // keeps the worker readable and its licence notice in place
      },
    }),
  ],
  server: { headers: crossOriginIsolation },
  preview: { headers: crossOriginIsolation },
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'bench/**/*.test.ts'],
    environment: 'node',
    // The native kernels' relaxed SIMD builds (kernels/wasm/native.ts) validate in Node 20 only with this flag; Chromium has it on.
    execArgv: ['--experimental-wasm-relaxed-simd'],
  },
});
