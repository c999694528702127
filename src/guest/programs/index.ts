/**
 * The minimal guest programs (true, false, echo, cat, sleep) and a helper to install them
 * as executables; the full coreutils and shell set comes later.
 */
import type { Kernel, ProgramMain } from '../kernel/index.js';
import { catMain } from './cat.js';
import { echoMain } from './echo.js';
import { sleepMain } from './sleep.js';
import { falseMain, trueMain } from './true.js';

/** Program name → entry point. */
export const MINIMAL_PROGRAMS: Readonly<Record<string, ProgramMain>> = {
  true: trueMain,
  false: falseMain,
  echo: echoMain,
  cat: catMain,
  sleep: sleepMain,
};

/** Installs every minimal program as `${dir}/<name>` (default /bin). */
export function installMinimalPrograms(kernel: Kernel, dir = '/bin'): void {
  for (const [name, main] of Object.entries(MINIMAL_PROGRAMS)) kernel.installProgram(`${dir}/${name}`, main, name);
}

export { writeAll, readAll, readText, errText, complain } from './stdio.js';
export { parseDuration } from './sleep.js';
