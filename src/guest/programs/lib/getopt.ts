/**
 * Command-line option parsing in the manner of glibc's getopt_long, with its diagnostics,
 * so that guest programs reject bad options with the same words as the real tools.
 */
import type { SysCall, Syscalls } from '../../kernel/index.js';
import { writeAll } from '../stdio.js';

/** A long option: `--name`, standing for `key`. */
export interface LongOpt {
  /** Name without the dashes. */
  name: string;
  /** Key reported for it (usually its short equivalent). */
  key: string;
  /** Whether it takes an argument. */
  arg: 'none' | 'required' | 'optional';
}

/** What a program accepts. */
export interface OptSpec {
  /** Short options as in getopt(3): "n:c:v" (a colon marks an argument). */
  short?: string;
  /** Long options. */
  long?: readonly LongOpt[];
  /** Stop at the first operand (getopt's "+" mode, as env and printf need) rather than permuting. */
  stopAtOperand?: boolean;
}

/** One option found. */
export interface Opt {
  /** Its key (the short letter, or the long option's key). */
  key: string;
  /** Its argument, if it has one. */
  value: string | undefined;
}

/** The parse: options in order and the operands, or the diagnostic for a bad option. */
export type GetoptResult = { ok: true; opts: Opt[]; operands: string[] } | { ok: false; message: string };

/** Parses `args` (argv without argv[0]) for program `prog`. */
export function getopt(prog: string, args: readonly string[], spec: OptSpec): GetoptResult {
  const opts: Opt[] = [];
  const operands: string[] = [];
  const short = spec.short ?? '';
  const longs = spec.long ?? [];
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a === '--') {
      i++;
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const exact = longs.find((l) => l.name === name);
      const matches = exact !== undefined ? [exact] : longs.filter((l) => l.name.startsWith(name));
      const unique = new Set(matches.map((m) => m.key));
      if (matches.length === 0) return { ok: false, message: `${prog}: unrecognized option '${a}'` };
      if (unique.size > 1) {
        return { ok: false, message: `${prog}: option '${a}' is ambiguous; possibilities:${matches.map((m) => ` '--${m.name}'`).join('')}` };
      }
      const lo = matches[0] as LongOpt;
      if (eq >= 0) {
        if (lo.arg === 'none') return { ok: false, message: `${prog}: option '--${lo.name}' doesn't allow an argument` };
        opts.push({ key: lo.key, value: a.slice(eq + 1) });
      } else if (lo.arg === 'required') {
        if (i + 1 >= args.length) return { ok: false, message: `${prog}: option '--${lo.name}' requires an argument` };
        opts.push({ key: lo.key, value: args[++i] });
      } else {
        opts.push({ key: lo.key, value: undefined });
      }
      continue;
    }
    if (a.startsWith('-') && a !== '-') {
      for (let j = 1; j < a.length; j++) {
        const c = a[j] ?? '';
        const at = short.indexOf(c);
        if (at < 0 || c === ':') return { ok: false, message: `${prog}: invalid option -- '${c}'` };
        if (short[at + 1] === ':') {
          let value = a.slice(j + 1);
          if (value === '') {
            if (i + 1 >= args.length) return { ok: false, message: `${prog}: option requires an argument -- '${c}'` };
            value = args[++i] ?? '';
          }
          opts.push({ key: c, value });
          break;
        }
        opts.push({ key: c, value: undefined });
      }
      continue;
    }
    if (spec.stopAtOperand === true) break;
    operands.push(a);
  }
  operands.push(...args.slice(i));
  return { ok: true, opts, operands };
}

/** Prints a usage diagnostic and the "Try --help" hint, as coreutils do. */
export function* usageError(sys: Syscalls, prog: string, message: string): SysCall<void> {
  yield* writeAll(sys, 2, `${message}\nTry '${prog} --help' for more information.\n`);
}
