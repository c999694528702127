/**
 * Executables. A program is TypeScript registered under a name; the VFS holds a small
 * executable file naming it ("#!qga-sim-builtin echo"), so that PATH search, execute
 * permission, noexec mounts and deleting /bin/echo all behave as they would on Linux.
 */
import { Errno } from './errno.js';
import { MS_NOEXEC, O_RDONLY, S_ISDIR, S_ISREG, X_OK } from './constants.js';
import { mayAccess } from './cred.js';
import type { ProgramMain } from './block.js';
import { OpenFile } from './vfs/file.js';
import { chainPath, last, walk } from './vfs/namei.js';
import type { VfsContext } from './vfs/vfs.js';

/** First line of an executable file that stands for a registered program. */
export const BUILTIN_MARKER = '#!qga-sim-builtin';

/** The file content that makes a path run the program registered as `name`. */
export function builtinExecutable(name: string): string {
  return `${BUILTIN_MARKER} ${name}\n`;
}

/** Registered programs by name. */
export class ProgramRegistry {
  private readonly programs = new Map<string, ProgramMain>();

  /** Registers (or replaces) a program. */
  register(name: string, main: ProgramMain): void {
    if (!/^[A-Za-z0-9_.+-]+$/.test(name)) throw new Error(`bad program name '${name}'`);
    this.programs.set(name, main);
  }

  /** The program registered as `name`. */
  get(name: string): ProgramMain | undefined {
    return this.programs.get(name);
  }

  /** Registered names, sorted. */
  names(): string[] {
    return [...this.programs.keys()].sort();
  }
}

/** An executable found and loaded. */
export interface ResolvedProgram {
  /** Its entry point. */
  main: ProgramMain;
  /** Canonical path of the file. */
  path: string;
  /** Registered program name. */
  name: string;
}

const decoder = new TextDecoder();

function loadOne(ctx: VfsContext, registry: ProgramRegistry, path: string, depth = 0): ResolvedProgram {
  const r = walk(ctx, path, { follow: true });
  const step = last(r.chain);
  const inode = step.inode;
  if (S_ISDIR(inode.mode) || !S_ISREG(inode.mode)) throw new Errno('EACCES');
  if (!mayAccess(inode, X_OK, ctx.caller.cred) || (step.mnt.flags & MS_NOEXEC) !== 0) throw new Errno('EACCES');
  if (inode.open === undefined) throw new Errno('ENOEXEC');
  // The loader reads the file itself: executing needs no read permission.
  const file = new OpenFile(inode, undefined, path, O_RDONLY, {}, ctx.caller);
  file.ops = inode.open(file, ctx.caller);
  let head: Uint8Array;
  try {
    head = file.ops.read?.(file, 256, 0) ?? new Uint8Array(0);
  } finally {
    file.ops.release?.(file);
  }
  const line = decoder.decode(head).split('\n')[0] ?? '';
  const canonical = chainPath(r.chain);
  if (line.startsWith(BUILTIN_MARKER + ' ')) {
    const name = line.slice(BUILTIN_MARKER.length + 1).trim();
    const main = registry.get(name);
    if (main === undefined) throw new Errno('ENOEXEC');
    return { main, path: canonical, name };
  }
  if (line.startsWith('#!') && depth < MAX_INTERPRETER_DEPTH) return loadScript(ctx, registry, line, path, depth);
  throw new Errno('ENOEXEC');
}

// Linux's binfmt_script allows a few levels of interpreters naming interpreters.
const MAX_INTERPRETER_DEPTH = 4;

// "#!/bin/sh -e": the interpreter runs with its one optional argument, then the script's path.
function loadScript(ctx: VfsContext, registry: ProgramRegistry, line: string, path: string, depth: number): ResolvedProgram {
  const words = line.slice(2).trim();
  if (words === '') throw new Errno('ENOEXEC');
  const sp = words.search(/[ \t]/);
  const interpPath = sp < 0 ? words : words.slice(0, sp);
  const arg = sp < 0 ? '' : words.slice(sp).trim();
  const interp = loadOne(ctx, registry, interpPath, depth + 1);
  const pre = arg === '' ? [interpPath] : [interpPath, arg];
  return {
    main: (sys, argv) => interp.main(sys, [...pre, path, ...argv.slice(1)]),
    path: interp.path,
    name: interp.name,
  };
}

/**
 * Finds and loads an executable the way execvp() does: a name with a slash is used as is,
 * otherwise each PATH directory is tried; EACCES wins over ENOENT if any candidate existed
 * but could not be executed.
 */
export function resolveProgram(ctx: VfsContext, registry: ProgramRegistry, file: string, pathEnv: string): ResolvedProgram {
  if (file === '') throw new Errno('ENOENT');
  if (file.includes('/')) return loadOne(ctx, registry, file);
  let sawEacces = false;
  for (const dir of pathEnv.split(':')) {
    const candidate = `${dir === '' ? '.' : dir}/${file}`;
    try {
      return loadOne(ctx, registry, candidate);
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
      if (e.code === 'EACCES') sawEacces = true;
      else if (e.code !== 'ENOENT' && e.code !== 'ENOTDIR') throw e;
    }
  }
  throw new Errno(sawEacces ? 'EACCES' : 'ENOENT');
}
