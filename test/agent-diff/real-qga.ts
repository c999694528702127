/**
 * Debian's real qemu-ga, run for comparison (the differential test and the agent bench):
 * as user nobody, on a unix socket in a temp dir owned by nobody, with every command
 * that changes the host blocked. Nothing here sends a command; callers must send only
 * what the block list leaves harmless.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Commands that change the host, blocked in every real agent we start: power and
 * suspend, freezing and trimming filesystems, the clock, passwords, CPUs and memory,
 * and SSH keys. guest-exec (anything at all) and the file commands that write are
 * blocked as well; guest-file-open stays available for reading files in the agent's
 * own temp dir, and only the bench uses it.
 */
export const REAL_QGA_BLOCKED: readonly string[] = [
  'guest-shutdown',
  'guest-suspend-disk',
  'guest-suspend-ram',
  'guest-suspend-hybrid',
  'guest-fsfreeze-freeze',
  'guest-fsfreeze-freeze-list',
  'guest-fsfreeze-thaw',
  'guest-fstrim',
  'guest-set-time',
  'guest-set-user-password',
  'guest-set-vcpus',
  'guest-set-memory-blocks',
  'guest-exec',
  'guest-file-write',
  'guest-ssh-add-authorized-keys',
  'guest-ssh-remove-authorized-keys',
];

/** Where the binary is, if installed. */
export function findQemuGa(): string | undefined {
  for (const p of ['/usr/sbin/qemu-ga', '/usr/bin/qemu-ga', '/usr/local/bin/qemu-ga']) if (existsSync(p)) return p;
  return undefined;
}

function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  const p = r.stdout.trim();
  return r.status === 0 && p !== '' ? p : undefined;
}

function idOf(flag: '-u' | '-g', user: string): number | undefined {
  const r = spawnSync('id', [flag, user], { encoding: 'utf8' });
  return r.status === 0 ? Number(r.stdout.trim()) : undefined;
}

/** How to start a program as nobody: a command prefix, the ids to give the temp dir, or why not. */
export interface Unprivileged {
  /** Prefix such as `runuser -u nobody --`; empty when we are not root anyway. */
  prefix: string[];
  /** uid/gid to chown the temp dir to (undefined: leave it ours). */
  owner: { uid: number; gid: number } | undefined;
}

/** Finds runuser or setpriv when running as root; returns a reason string if impossible. */
export function unprivileged(): Unprivileged | string {
  if (process.getuid?.() !== 0) return { prefix: [], owner: undefined };
  const uid = idOf('-u', 'nobody');
  const gid = idOf('-g', 'nobody');
  if (uid === undefined || gid === undefined) return 'there is no user nobody';
  const runuser = which('runuser');
  if (runuser !== undefined) return { prefix: [runuser, '-u', 'nobody', '--'], owner: { uid, gid } };
  const setpriv = which('setpriv');
  if (setpriv !== undefined) return { prefix: [setpriv, `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--'], owner: { uid, gid } };
  return 'neither runuser nor setpriv is available to drop root';
}

/** Why the real agent cannot be used here, or undefined if it can. */
export function realQgaUnavailable(): string | undefined {
  if (findQemuGa() === undefined) return 'qemu-ga is not installed (apt-get install qemu-guest-agent)';
  const u = unprivileged();
  return typeof u === 'string' ? u : undefined;
}

/** A running real agent. */
export interface RealQga {
  /** Its unix socket. */
  socket: string;
  /** Its temp dir (state dir and cwd); files placed here are readable by it. */
  dir: string;
  /** `qemu-ga -V`. */
  version: string;
  /** Chowns a file the caller created in `dir` to the agent's user. */
  giveToAgent(path: string): void;
  /** Stops it and removes the temp dir. */
  stop(): Promise<void>;
}

/** Starts real qemu-ga (`-m unix-listen`) with REAL_QGA_BLOCKED plus `extraBlocked`. */
export async function startRealQga(opts: { extraBlocked?: readonly string[]; args?: readonly string[] } = {}): Promise<RealQga> {
  const bin = findQemuGa();
  if (bin === undefined) throw new Error('qemu-ga is not installed');
  const u = unprivileged();
  if (typeof u === 'string') throw new Error(u);
  const dir = mkdtempSync(join(tmpdir(), 'qga-real-'));
  if (u.owner !== undefined) chownSync(dir, u.owner.uid, u.owner.gid);
  chmodSync(dir, 0o700);
  const socket = join(dir, 'sock');
  const blocked = [...REAL_QGA_BLOCKED, ...(opts.extraBlocked ?? [])].join(',');
  const version = spawnSync(bin, ['-V'], { encoding: 'utf8' }).stdout.trim();
  const argv = [...u.prefix, bin, '-m', 'unix-listen', '-p', socket, '-t', dir, '-b', blocked, ...(opts.args ?? [])];
  const child: ChildProcess = spawn(argv[0]!, argv.slice(1), { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  for (let i = 0; i < 100 && !existsSync(socket); i++) {
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!existsSync(socket)) {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`qemu-ga did not create its socket: ${stderr}`);
  }
  return {
    socket,
    dir,
    version,
    giveToAgent: (path) => {
      if (u.owner !== undefined) chownSync(path, u.owner.uid, u.owner.gid);
    },
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
