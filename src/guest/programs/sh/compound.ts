/**
 * The compound commands: if, while/until loops with break and continue, for and case.
 * They run in the shell process itself; conditions are evaluated with set -e suspended.
 */
import type { SysCall } from '../../kernel/index.js';
import type { Case, Command, For, If, Loop } from './ast.js';
import { LoopControl } from './errors.js';
import type { Shell } from './exec.js';
import { expandFields, expandPattern, expandString } from './expand.js';
import { matchPattern } from './pattern.js';

/** if / elif / else. */
export function* runIf(sh: Shell, cmd: If): SysCall<number> {
  sh.st.lineno = cmd.line;
  for (const c of cmd.clauses) if ((yield* sh.condition(c.cond)) === 0) return yield* sh.run(c.body);
  return cmd.otherwise === undefined ? 0 : yield* sh.run(cmd.otherwise);
}

// Runs a loop body; 'break' or 'continue' when one of those ends this iteration.
function* loopBody(sh: Shell, body: Command): SysCall<number | 'break' | 'continue'> {
  try {
    return yield* sh.run(body);
  } catch (e) {
    if (!(e instanceof LoopControl)) throw e;
    if (e.levels > 1) {
      e.levels--;
      throw e;
    }
    return e.kind;
  }
}

/** while and until. */
export function* runLoop(sh: Shell, cmd: Loop): SysCall<number> {
  sh.st.lineno = cmd.line;
  let status = 0;
  sh.st.loopDepth++;
  try {
    for (;;) {
      const c = yield* sh.condition(cmd.cond);
      if (cmd.until ? c === 0 : c !== 0) break;
      const r = yield* loopBody(sh, cmd.body);
      if (r === 'break') break;
      if (r !== 'continue') status = r;
    }
  } finally {
    sh.st.loopDepth--;
  }
  return status;
}

/** for NAME in WORDS. */
export function* runFor(sh: Shell, cmd: For): SysCall<number> {
  sh.st.lineno = cmd.line;
  const values = cmd.words === undefined ? [...sh.st.positional] : yield* expandFields(sh, cmd.words);
  let status = 0;
  sh.st.loopDepth++;
  try {
    for (const v of values) {
      sh.st.set(cmd.name, v);
      const r = yield* loopBody(sh, cmd.body);
      if (r === 'break') break;
      if (r !== 'continue') status = r;
    }
  } finally {
    sh.st.loopDepth--;
  }
  return status;
}

/** case WORD in PATTERN) ... esac: the first matching item runs. */
export function* runCase(sh: Shell, cmd: Case): SysCall<number> {
  sh.st.lineno = cmd.line;
  const word = yield* expandString(sh, cmd.word, true);
  for (const item of cmd.items) {
    for (const p of item.patterns) {
      if (matchPattern(yield* expandPattern(sh, p), word)) return item.body === undefined ? 0 : yield* sh.run(item.body);
    }
  }
  return 0;
}
