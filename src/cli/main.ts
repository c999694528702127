/**
 * The `qga-sim` command: parse QEMU-style options, open the sockets, boot the machine,
 * and run until interrupted or told to quit over QMP.
 */
import { resolve } from 'node:path';
import { CliError, PROGRAM_NAME, parseArgs, type CliRequest } from './args.js';
import { addDefaults } from '../machine/defaults.js';
import { deviceTypes } from '../machine/device-registry.js';
import { launchMachine } from '../host/launch.js';
import { guestLoaderFor } from '../guest/loader.js';
import { QemuOptsError } from './qemu-opts.js';
import { PciError } from '../../devices/pci/options.js';
import { DeviceError } from '../machine/device-registry.js';
import { ChardevError } from '../chardev/index.js';
import { QMP_QEMU_VERSION } from '../qmp/commands.js';

/** Version printed by --version. */
export const QGA_SIM_VERSION = '0.1.0';

const USAGE = `usage: ${PROGRAM_NAME} [options]

QEMU options understood: -machine pc[,memory-block-size=SIZE] -m SIZE[,slots=N,maxmem=SIZE]
  -smp N[,maxcpus=N] -device DRIVER[,prop=value...] -chardev BACKEND,id=ID[,...]
  -qmp unix:PATH,server=on,wait=off  -mon chardev=ID,mode=control  -global DRIVER.PROP=VALUE
  -nodefaults -S -name NAME -rtc base=utc|localtime|DATE -no-shutdown
  -drive file=PATH[,format=raw],if=none|virtio|ide,id=ID[,readonly=on,discard=unmap|ignore,cache=MODE,serial=S]
  -drive size=SIZE,...  (qga-sim: an in-memory sparse disk instead of a file; discard defaults to unmap)
qga-sim options:
  --qga PATH          agent socket of the default machine (default ./qga.sock)
  --qmp PATH          QMP socket of the default machine (default ./qmp.sock)
  --trace CATS        print trace lines: comma-separated categories or 'all'
  --clock MODE        realtime (default: virtual time follows host time) or virtual
  --seed N            seed of the machine's PRNG
  --qga-version V     qemu-ga version in the guest image: 1.0, 1.2, 1.5, 2.2, 2.5 or 7.2
                      (default 7.2); the agent then speaks that version's protocol
  -device help        list device types
`;

function printInfo(req: CliRequest): void {
  if (req.info === 'help') process.stdout.write(USAGE);
  else if (req.info === 'version') process.stdout.write(`${PROGRAM_NAME} version ${QGA_SIM_VERSION} (QMP reports QEMU ${QMP_QEMU_VERSION.major}.${QMP_QEMU_VERSION.minor}.${QMP_QEMU_VERSION.micro})\n`);
  else if (req.info === 'machine-help') process.stdout.write('Supported machines are:\npc                   Standard PC (i440FX + PIIX, 1996) (default)\n');
  else if (req.info === 'device-help') {
    const byCat = new Map<string, string[]>();
    for (const t of deviceTypes()) byCat.set(t.category, [...(byCat.get(t.category) ?? []), `name "${t.name}", desc "${t.desc}"`]);
    for (const [cat, lines] of byCat) process.stdout.write(`${cat} devices:\n${lines.join('\n')}\n\n`);
  }
}

/** Runs the CLI; resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let req: CliRequest;
  try {
    req = parseArgs(argv);
  } catch (e) {
    if (e instanceof CliError) return fail(e.message);
    throw e;
  }
  if (req.info) {
    printInfo(req);
    return 0;
  }
  addDefaults(req.config, { qgaPath: req.qgaPath, qmpPath: req.qmpPath });
  let launched;
  try {
    // Host time enters here, at the edge: it becomes the guest's wall clock at virtual time 0.
    const trace = req.trace.length > 0 ? { categories: req.trace, sink: (_r: unknown, line: string) => void process.stderr.write(line + '\n') } : undefined;
    // The host's time zone is read here too, once, for -rtc base=localtime.
    const nowMs = Date.now();
    launched = await launchMachine(req.config, { clock: req.clock, epochNs: nowMs * 1e6, rtcLocalOffsetSec: -new Date(nowMs).getTimezoneOffset() * 60, trace, guest: guestLoaderFor(req.config) });
  } catch (e) {
    if (e instanceof QemuOptsError || e instanceof PciError || e instanceof DeviceError || e instanceof ChardevError) return fail(e.message);
    throw e;
  }
  const { machine } = launched;
  if (!req.config.noDefaults) {
    process.stdout.write(`${PROGRAM_NAME}: guest agent socket: ${resolve(req.qgaPath)}\n`);
    process.stdout.write(`${PROGRAM_NAME}: QMP socket: ${resolve(req.qmpPath)}\n`);
  }
  process.stdout.write(`${PROGRAM_NAME}: machine ${machine.runState} (${req.clock} clock); Ctrl-C or QMP 'quit' to stop\n`);
  return new Promise<number>((done) => {
    let finishing = false;
    const finish = async (code: number) => {
      if (finishing) return;
      finishing = true;
      await launched.close();
      done(code);
    };
    machine.on('quit', () => void finish(0));
    const onSignal = (num: number) => {
      process.stderr.write(`${PROGRAM_NAME}: terminating on signal ${num}\n`);
      machine.emitEvent('SHUTDOWN', { guest: false, reason: 'host-signal' });
      void finish(0);
    };
    process.once('SIGINT', () => onSignal(2));
    process.once('SIGTERM', () => onSignal(15));
  });
}

function fail(message: string): number {
  process.stderr.write(`${PROGRAM_NAME}: ${message}\n`);
  return 1;
}
