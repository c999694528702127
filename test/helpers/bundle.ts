/**
 * Bundles a TypeScript entry point with esbuild into a .mjs file inside node_modules, so
 * tests can run the real program in a separate Node process without `npm run build`, and
 * its external imports (ws, typed-emitter) resolve from the repository.
 */
import { buildSync } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const cache = new Map<string, string>();

/** Returns the path of a runnable bundle of `entry` (relative to the repository root). */
export function bundleEntry(entry: string): string {
  const hit = cache.get(entry);
  if (hit) return hit;
  const out = buildSync({
    entryPoints: [join(ROOT, entry)],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'silent',
  });
  const dir = join(ROOT, 'node_modules', '.qga-sim-test');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${entry.replace(/[^a-z0-9]/gi, '_')}-${process.pid}.mjs`);
  writeFileSync(file, out.outputFiles[0]!.contents);
  cache.set(entry, file);
  return file;
}
