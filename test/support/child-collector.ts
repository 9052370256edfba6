// Runs a collector in its own process (for crash tests): prints its URL as one JSON line, then serves.
import { loadConfig } from '../../collector/config.ts';
import { startCollector } from '../../collector/server.ts';

const collector = await startCollector(
  loadConfig({ ...process.env, PORT: '0', HOST: '127.0.0.1' }),
  () => {},
);
process.stdout.write(`${JSON.stringify({ url: collector.url })}\n`);
