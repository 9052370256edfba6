// Installs the sqld binary the tests start (`npx tsx test/support/install-sqld.ts`), so CI downloads it once,
// before the test workers start; prints its path and version.
import { execFileSync } from 'node:child_process';
import { ensureSqld } from './sqld.ts';

const binary = await ensureSqld();
const version = execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim();
process.stdout.write(`${version} at ${binary}\n`);
