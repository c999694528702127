/** Entry point of the `qga-sim` binary. */
import { PROGRAM_NAME } from './args.js';
import { main } from './main.js';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`${PROGRAM_NAME}: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(70);
  },
);
