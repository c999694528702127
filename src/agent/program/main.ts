/**
 * The guest agent as a guest userspace program. A build of qemu-ga is one version: the
 * program learns which from the profile it was built with (what `qemu-ga -V` prints),
 * never from the machine. It parses its command line as that version does, opens its
 * virtio port, feeds what arrives to the protocol engine and writes the replies back.
 * The JSON parser lives as long as the process, across host disconnects and
 * reconnects, which is why clients resync with 0xFF. While the host is away it sleeps
 * until the driver signals the host's return (see channel.ts).
 */
import { Errno, O_APPEND, O_CLOEXEC, O_CREAT, O_TRUNC, O_WRONLY, type Block, type PollFd, type ProgramMain, type Syscalls } from '../../guest/kernel/index.js';
import { QGA_FROZEN_MARKER, qgaAgentRuntime } from '../commands/index.js';
import { AgentProtocol } from '../protocol/index.js';
import type { QgaHandlers } from '../protocol/handler.js';
import { qgaProfile, qgaVersionBanner, type QgaProfile, type QgaProfileName } from '../schema/index.js';
import { QgaChannel } from './channel.js';
import { QgaLog } from './log.js';
import { QGA_USAGE_HINT, QgaUsageError, dumpQgaConfig, parseQgaOptions, qgaHelp, type QgaOptions } from './options.js';

export { QGA_FROZEN_MARKER } from '../commands/index.js';

/** What a build's command handlers get to work with. */
export interface QgaProgramEnv {
  /** The agent process's syscalls. */
  sys: Syscalls;
  /** Its options. */
  options: QgaOptions;
  /** The version it is. */
  profile: QgaProfile;
  /** Its log (g_log / slog). */
  log: QgaLog;
}

/**
 * What a build's commands need from the agent process beyond handlers: start-up work
 * (the state directory; a message means "exit"), and descriptors the idle main loop
 * watches besides the channel (guest-exec's pipes), serviced when poll reports them.
 */
export interface QgaAgentRuntime {
  /** Command handlers. */
  handlers: QgaHandlers<Block>;
  /** Runs before the channel is opened (`frozen`: the marker was found); returns a critical message to exit with. */
  start(frozen: boolean): Generator<Block, string | undefined, unknown>;
  /** Descriptors to poll while idle (fresh entries each call). */
  watches(): PollFd[];
  /** Services what poll found ready among them. */
  dispatch(ready: readonly PollFd[]): Generator<Block, void, unknown>;
}

/** A qemu-ga build: its version and the command handlers compiled into it. */
export interface QemuGaBuild {
  /** Which qemu-ga. */
  profile: QgaProfileName;
  /** Command handlers beyond the built-in sync/ping/info, made per process (replaces `runtime`). */
  handlers?: (env: QgaProgramEnv) => QgaHandlers<Block>;
  /** The commands and their services (default: every command, src/agent/commands). */
  runtime?: (env: QgaProgramEnv) => QgaAgentRuntime;
}

/** The qemu-ga program of one build (default: 7.2 with every command, src/agent/commands). */
export function qemuGaProgram(build: QemuGaBuild | QgaProfileName = '7.2'): ProgramMain {
  const b: QemuGaBuild = typeof build === 'string' ? { profile: build } : build;
  const profile = qgaProfile(b.profile);
  return function* qemuGa(sys: Syscalls, argv: string[]): Generator<Block, number, unknown> {
    let opts: QgaOptions;
    try {
      opts = parseQgaOptions(argv.slice(1), profile);
    } catch (e) {
      if (!(e instanceof QgaUsageError)) throw e;
      const getopt = !e.message.startsWith('unsupported channel');
      yield* sys.write(2, `qemu-ga: ${e.message}\n${getopt ? `${QGA_USAGE_HINT}\n` : ''}`);
      return 1;
    }
    switch (opts.action) {
      case 'version':
        yield* sys.write(1, `${qgaVersionBanner(profile.version)}\n`);
        return 0;
      case 'help':
        yield* sys.write(1, qgaHelp(profile));
        return 0;
      case 'list-commands':
        yield* sys.write(1, profile.commandOrder.map((n) => `${n}\n`).join(''));
        return 0;
      case 'dump-conf':
        yield* sys.write(1, dumpQgaConfig(opts, profile));
        return 0;
      case 'run':
        return yield* runAgent(sys, opts, profile, b);
    }
  };
}

/** qemu-ga 7.2 with every command. */
export const qemuGaMain: ProgramMain = qemuGaProgram('7.2');

function* runAgent(sys: Syscalls, opts: QgaOptions, profile: QgaProfile, build: QemuGaBuild): Generator<Block, number, unknown> {
  let proto: AgentProtocol<Block> | undefined;
  const log = new QgaLog(sys, opts.verbose, () => proto?.frozen !== true);
  yield* log.log('debug', `Guest agent version ${profile.version} started`);
  if (opts.logFile !== undefined) {
    try {
      log.useFile(yield* sys.open(opts.logFile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o666));
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
      yield* log.log('critical', `unable to open specified log file: ${e.message}`);
      return 1;
    }
  }
  if (opts.daemonize) yield* writePidFile(sys, opts.pidFile);
  const frozen = yield* exists(sys, `${opts.stateDir}/${QGA_FROZEN_MARKER}`);
  const env: QgaProgramEnv = { sys, options: opts, profile, log };
  const runtime = build.handlers === undefined ? (build.runtime ?? qgaAgentRuntime)(env) : undefined;
  const startFailure = runtime === undefined ? undefined : yield* runtime.start(frozen);
  if (startFailure !== undefined) {
    yield* log.log('critical', startFailure);
    return 1;
  }
  for (const name of opts.blockRpcs) yield* log.log('debug', `disabling command: ${name}`);

  const opened = yield* QgaChannel.open(sys, opts.path);
  if (opened instanceof Errno) {
    yield* log.log('critical', `error opening channel '${opts.path}': ${opened.message}`);
    return 1;
  }
  let ch: QgaChannel = opened;
  proto = new AgentProtocol<Block>({
    profile,
    blockRpcs: opts.blockRpcs,
    frozen,
    handlers: runtime?.handlers ?? build.handlers?.(env),
    *write(bytes) {
      yield* log.log('debug', `sending data, count: ${bytes.length}`);
      yield* ch.writeAll(bytes);
    },
  });
  for (;;) {
    const r = yield* ch.read(runtime);
    if (r.kind === 'eof') {
      yield* log.log('debug', 'received EOF');
      yield* ch.waitForHost(runtime);
      continue;
    }
    if (r.kind === 'gone') {
      yield* log.log('warning', `error reading channel: ${r.error.message}`);
      ch.close();
      if (!opts.retryPath) return 1;
      // --retry-path: the port may come back (driver reload, hotplug); the parser stays.
      const again = yield* QgaChannel.open(sys, opts.path);
      if (again instanceof Errno) return 1;
      ch = again;
      continue;
    }
    if (log.wants('debug')) yield* log.log('debug', `read data, count: ${r.bytes.length}, data: ${new TextDecoder().decode(r.bytes)}`);
    proto.feed(r.bytes);
    yield* proto.drain();
  }
}

function* writePidFile(sys: Syscalls, path: string): Generator<Block, void, unknown> {
  try {
    const fd = yield* sys.open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600);
    yield* sys.write(fd, `${sys.getpid()}\n`);
    sys.close(fd);
  } catch (e) {
    if (!(e instanceof Errno)) throw e;
  }
}

function* exists(sys: Syscalls, path: string): Generator<Block, boolean, unknown> {
  try {
    yield* sys.stat(path);
    return true;
  } catch (e) {
    if (!(e instanceof Errno)) throw e;
    return false;
  }
}
