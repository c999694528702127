/**
 * qemu-ga's logging: lines `<sec>.<usec>: <level>: <message>` (microseconds zero-padded
 * to six digits, as Debian's 7.2 writes them) to the log file given with -l, or to
 * stderr without one. Only error and critical messages are written unless -v asks for
 * every level. Messages qemu-ga sends to syslog (slog: "guest-ping called" and the
 * like) go there whatever the level, as `qemu-ga: info: <message>`; the guest has no
 * syslog daemon, so they go to stderr, which the service's console collects. While the
 * filesystems are frozen nothing is logged at all (a write could block on a frozen fs).
 */
import { Errno, type Block, type Syscalls } from '../../guest/kernel/index.js';

/** GLib's log levels, as qemu-ga prints their names. */
export type QgaLogLevel = 'error' | 'critical' | 'warning' | 'message' | 'info' | 'debug';

/** The levels written without -v (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL). */
export const QGA_DEFAULT_LOG_LEVELS: readonly QgaLogLevel[] = ['error', 'critical'];

/** Where and what the agent logs. */
export class QgaLog {
  private fd = 2;
  private readonly levels: ReadonlySet<QgaLogLevel>;

  /** A logger writing to stderr; `verbose` is -v. `enabled` is false while frozen. */
  constructor(
    private readonly sys: Syscalls,
    verbose: boolean,
    private readonly enabled: () => boolean = () => true,
  ) {
    this.levels = new Set<QgaLogLevel>(verbose ? ['error', 'critical', 'warning', 'message', 'info', 'debug'] : QGA_DEFAULT_LOG_LEVELS);
  }

  /** Sends later lines to `fd` (the -l file, opened for appending). */
  useFile(fd: number): void {
    this.fd = fd;
  }

  /** Whether a message of `level` would be written (saves formatting debug lines). */
  wants(level: QgaLogLevel): boolean {
    return this.levels.has(level) && this.enabled();
  }

  /** g_log in qemu-ga's domain. */
  *log(level: QgaLogLevel, message: string): Generator<Block, void, unknown> {
    if (!this.wants(level)) return;
    const t = this.sys.gettimeofday();
    const usec = String(Math.floor(t.nsec / 1000)).padStart(6, '0');
    yield* this.writeLine(this.fd, `${t.sec}.${usec}: ${level}: ${message}\n`);
  }

  /** slog(): the "syslog" domain, whatever the level mask. */
  *slog(message: string): Generator<Block, void, unknown> {
    if (!this.enabled()) return;
    yield* this.writeLine(2, `qemu-ga: info: ${message}\n`);
  }

  private *writeLine(fd: number, line: string): Generator<Block, void, unknown> {
    try {
      yield* this.sys.write(fd, line);
    } catch (e) {
      // A log that cannot be written is not a reason to stop answering the host.
      if (!(e instanceof Errno)) throw e;
    }
  }
}
