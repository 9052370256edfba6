// `npm start`: builds the widget and dashboard when they are missing, then runs the collector.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig, loadEnvFile, projectRoot } from './config.ts';
import { startCollector } from './server.ts';

async function buildMissing(distDir: string): Promise<void> {
  const wanted: [string, string][] = [
    ['widget', join(distDir, 'widget/tp.js')],
    ['ui', join(distDir, 'widget/tp-ui.js')],
    ['dashboard', join(distDir, 'dashboard/index.html')],
  ];
  const missing = wanted.filter(([, file]) => !existsSync(file));
  if (missing.length === 0) return;
  const { build } = await import('vite');
  for (const [mode] of missing) {
    console.log(`building ${mode}…`);
    await build({ configFile: resolve(projectRoot, 'vite.config.ts'), mode, logLevel: 'warn' });
  }
}

const envFile = loadEnvFile();
const config = loadConfig();
await buildMissing(config.distDir);
const collector = await startCollector(config);
console.log(
  `Touchpoint collector on ${collector.url} (dashboard: ${collector.url}/app/, database: ${config.databaseUrl}${envFile ? `, settings from ${envFile}` : ''})`,
);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    console.log('stopping: finishing requests in flight and committing queued writes…');
    await collector.close(Number(process.env.TOUCHPOINT_DRAIN_MS) || 10_000);
    process.exit(0);
  });
}
