/**
 * qemu-ga's command line as the guest agent program reads it: -m/--method, -p/--path,
 * -t/--statedir, -b/--blacklist (7.2 also --block-rpcs), -v/--verbose, -V/--version, plus
 * our --profile to choose which qemu-ga era to be.
 */
import { QGA_DEFAULT_PROFILE, isQgaProfileName, type QgaProfileName } from '../schema/index.js';

/** Default channel path for the virtio-serial method. */
export const QGA_VIRTIO_PATH_DEFAULT = '/dev/virtio-ports/org.qemu.guest_agent.0';
/** Default state directory (Debian's `/var/run`-relative choice). */
export const QGA_STATE_DIR_DEFAULT = '/var/run';

/** Parsed options. */
export interface QgaOptions {
  /** Channel method (only virtio-serial is modelled). */
  method: 'virtio-serial';
  /** Channel device. */
  path: string;
  /** State directory (qga.state, qga.state.isfrozen). */
  stateDir: string;
  /** Disabled commands. */
  blockRpcs: string[];
  /** Log everything (-v). */
  verbose: boolean;
  /** Print the version and exit (-V). */
  printVersion: boolean;
  /** Which qemu-ga to be. */
  profile: QgaProfileName;
}

/** A usage error, with qemu-ga's wording where it has one. */
export class QgaUsageError extends Error {}

/** Parses argv (without the program name). */
export function parseQgaOptions(argv: readonly string[]): QgaOptions {
  const o: QgaOptions = { method: 'virtio-serial', path: QGA_VIRTIO_PATH_DEFAULT, stateDir: QGA_STATE_DIR_DEFAULT, blockRpcs: [], verbose: false, printVersion: false, profile: QGA_DEFAULT_PROFILE };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const [flag, inline] = a.startsWith('--') && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new QgaUsageError(`option requires an argument -- '${flag.replace(/^-+/, '')}'`);
      return v;
    };
    switch (flag) {
      case '-m':
      case '--method': {
        const m = value();
        if (m !== 'virtio-serial') throw new QgaUsageError(`unsupported channel method/type: ${m}`);
        break;
      }
      case '-p':
      case '--path':
        o.path = value();
        break;
      case '-t':
      case '--statedir':
        o.stateDir = value();
        break;
      case '-b':
      case '--blacklist':
      case '--block-rpcs':
        o.blockRpcs.push(...value().split(',').filter((s) => s !== ''));
        break;
      case '-v':
      case '--verbose':
        o.verbose = true;
        break;
      case '-V':
      case '--version':
        o.printVersion = true;
        break;
      case '--profile': {
        const p = value();
        if (!isQgaProfileName(p)) throw new QgaUsageError(`unknown profile '${p}'`);
        o.profile = p;
        break;
      }
      default:
        throw new QgaUsageError(`invalid option -- '${a.replace(/^-+/, '')}'`);
    }
  }
  return o;
}
