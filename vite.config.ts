// One Vite config for every build and test run; the build mode picks what is built:
//   --mode widget     the capture core, an IIFE served as /tp.js (no Preact)
//   --mode ui         the widget's Preact UI, an ES module chunk the core imports only when needed
//   --mode dashboard  the marketer's single-page app, served at /app
import { resolve } from 'node:path';
import { defineConfig, type UserConfig } from 'vite';

const root = import.meta.dirname;

const widget: UserConfig = {
  publicDir: false,
  define: { __DEBUG__: 'false' },
  build: {
    outDir: resolve(root, 'dist/widget'),
    emptyOutDir: false,
    target: 'es2020',
    minify: true,
    sourcemap: false,
    lib: {
      entry: resolve(root, 'widget/core/index.ts'),
      formats: ['iife'],
      name: 'touchpointCore',
      fileName: () => 'tp.js',
    },
  },
};

const ui: UserConfig = {
  publicDir: false,
  define: { __DEBUG__: 'false', 'process.env.NODE_ENV': '"production"' },
  build: {
    outDir: resolve(root, 'dist/widget'),
    emptyOutDir: false,
    target: 'es2020',
    minify: true,
    sourcemap: false,
    lib: {
      entry: resolve(root, 'widget/ui/index.tsx'),
      formats: ['es'],
      fileName: () => 'tp-ui.js',
    },
  },
};

const dashboard: UserConfig = {
  root: resolve(root, 'dashboard'),
  base: '/app/',
  publicDir: false,
  build: {
    outDir: resolve(root, 'dist/dashboard'),
    emptyOutDir: true,
    target: 'es2020',
    sourcemap: false,
  },
};

export default defineConfig(({ mode }) => {
  if (mode === 'widget') return widget;
  if (mode === 'ui') return ui;
  if (mode === 'dashboard') return dashboard;
  return {
    define: { __DEBUG__: 'true' },
    test: {
      projects: [
        {
          extends: true,
          test: {
            name: 'unit',
            include: ['test/collector/**/*.test.ts', 'test/wire/**/*.test.ts'],
            environment: 'node',
          },
        },
        {
          extends: true,
          test: {
            name: 'widget',
            include: ['test/widget/**/*.test.ts', 'test/widget/**/*.test.tsx'],
            environment: 'happy-dom',
          },
        },
        {
          extends: true,
          test: {
            name: 'browser',
            include: ['test/browser/**/*.test.ts'],
            environment: 'node',
            testTimeout: 60_000,
            hookTimeout: 120_000,
            fileParallelism: false,
          },
        },
      ],
    },
  };
});
