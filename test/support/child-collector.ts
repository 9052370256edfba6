// Runs a collector in its own process (crash, drain and scale-out tests, benchmarks): prints its URL as one JSON
// line, then serves; SIGTERM drains it and exits.
import { loadConfig } from '../../collector/config.ts';
import { startCollector } from '../../collector/server.ts';

const collector = await startCollector(
  loadConfig({ ...process.env, PORT: process.env.PORT ?? '0', HOST: '127.0.0.1' }),
  () => {},
);
process.stdout.write(`${JSON.stringify({ url: collector.url })}\n`);
process.on('SIGTERM', async () => {
  await collector.close(Number(process.env.TOUCHPOINT_DRAIN_MS) || 5_000);
  if (process.env.TOUCHPOINT_REPORT_CPU) process.stderr.write(`cpu ${JSON.stringify(process.cpuUsage())}\n`);
  process.exit(0);
});
