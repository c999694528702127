/** echo(1) from coreutils: -n drops the newline, -e interprets backslash escapes, -E (the default) does not. */
import type { Program, Syscalls } from '../kernel/index.js';
import { ByteBuilder } from './lib/bytes.js';
import { expandEscapes } from './lib/escapes.js';
import { complain, writeAll } from './stdio.js';

/** echo [-neE] [args...] */
export function* echoMain(sys: Syscalls, argv: string[]): Program {
  const prog = argv[0] ?? 'echo';
  let args = argv.slice(1);
  let newline = true;
  let escapes = false;
  // Only words made entirely of n, e and E count as options; anything else is printed.
  while (args.length > 0 && /^-[neE]+$/.test(args[0] ?? '')) {
    for (const c of (args[0] ?? '').slice(1)) {
      if (c === 'n') newline = false;
      else escapes = c === 'e';
    }
    args = args.slice(1);
  }
  const out = new ByteBuilder();
  const text = args.join(' ');
  if (escapes) {
    if (expandEscapes(text, 'echo', out).stopped) newline = false;
  } else {
    out.text(text);
  }
  if (newline) out.byte(10);
  try {
    yield* writeAll(sys, 1, out.bytes());
  } catch (e) {
    yield* complain(sys, prog, 'write error', e);
    return 1;
  }
  return 0;
}
