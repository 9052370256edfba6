// The store thread's entry: a worker cannot start from a TypeScript file, so this plain module registers tsx (as
// the main thread runs under it) and then loads the real entry, host.ts.
import { register } from 'tsx/esm/api';

register();
await import('./host.ts');
