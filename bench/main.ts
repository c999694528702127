/** Bench harness: runs every bench and prints one JSON object per line. */
import { benches } from './registry.js';

const only = process.argv.slice(2);
for (const b of benches) {
  if (only.length > 0 && !only.includes(b.name)) continue;
  const results = await b.run();
  for (const r of results) process.stdout.write(JSON.stringify({ bench: b.name, ...r }) + '\n');
}
