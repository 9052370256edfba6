// One Vite config for every build and test run; the build mode picks what is built:
//   --mode widget     the capture core, an IIFE served as /tp.js (no Preact)
//   --mode ui         the widget's Preact UI, an ES module chunk the core imports only when needed
//   --mode chat       the chat launcher, a small ES module chunk the core imports when the site has chat on
//   --mode dashboard  the marketer's single-page app, served at /app
import { resolve } from 'node:path';
import { minifySync } from 'rolldown/utils';
import { defineConfig, type Plugin, type UserConfig } from 'vite';

const root = import.meta.dirname;

// After terser, Oxc's minifier rewrites what terser leaves long (`const` as `let`, and the like): ~30 bytes brotli.
const oxcAfterTerser: Plugin = {
  name: 'touchpoint:oxc-after-terser',
  apply: 'build',
  generateBundle(_options, bundle) {
    for (const chunk of Object.values(bundle))
      if (chunk.type === 'chunk') chunk.code = minifySync(chunk.fileName, chunk.code).code;
  },
};

const widget: UserConfig = {
  publicDir: false,
  plugins: [oxcAfterTerser],
  define: { __DEBUG__: 'false' },
  build: {
    outDir: resolve(root, 'dist/widget'),
    emptyOutDir: false,
    target: 'es2020',
    // terser's extra passes beat the default minifier by ~75 bytes brotli on tp.js, which has a 3,120-byte budget
    minify: 'terser',
    terserOptions: {
      ecma: 2020,
      toplevel: true,
      compress: {
        passes: 3,
        unsafe: true,
        unsafe_arrows: true,
        pure_getters: true,
        hoist_funs: true,
        unsafe_comps: true,
      },
      // Oxc (below) renames every binding again; its names compress better than terser's (~6 bytes brotli)
      mangle: false,
    },
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

const chat: UserConfig = {
  ...ui,
  build: {
    ...ui.build,
    lib: {
      entry: resolve(root, 'widget/chat/launcher.ts'),
      formats: ['es'],
      fileName: () => 'tp-chat.js',
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
  if (mode === 'chat') return chat;
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
            // One worker runs the files in turn with its modules loaded once (each file still launches its own
            // Chromium and collector and closes them): about 1.5 s of imports per file otherwise.
            isolate: false,
          },
        },
      ],
    },
  };
});
