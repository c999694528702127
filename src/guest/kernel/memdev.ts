/**
 * The kernel's own character devices: /dev/null, zero, full, random and urandom (major 1,
 * Linux's "mem" driver) and /dev/console (5:1), whose output goes to the trace a line at a
 * time. Randomness comes from the machine's seeded generator, so runs stay reproducible.
 */
import type { Prng } from '../../core/prng.js';
import { Errno } from './errno.js';
import { POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM } from './constants.js';
import type { DeviceOps, DeviceRegistry } from './devices.js';

/** Major of the memory devices. */
export const MEM_MAJOR = 1;
/** Major of /dev/console. */
export const TTYAUX_MAJOR = 5;

/** The nodes a standard /dev gets for these devices: [name, major, minor, mode]. */
export const MEM_DEVICE_NODES: readonly (readonly [string, number, number, number])[] = [
  ['null', MEM_MAJOR, 3, 0o666],
  ['zero', MEM_MAJOR, 5, 0o666],
  ['full', MEM_MAJOR, 7, 0o666],
  ['random', MEM_MAJOR, 8, 0o666],
  ['urandom', MEM_MAJOR, 9, 0o666],
  ['console', TTYAUX_MAJOR, 1, 0o600],
];

const READY = POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM;

/** Registers the memory devices and the console; console lines go to `consoleLine`. */
export function registerMemDevices(devices: DeviceRegistry, prng: Prng, consoleLine: (line: string) => void): void {
  const sink = (data: Uint8Array): number => data.length;
  const nul: DeviceOps = { read: () => new Uint8Array(0), write: (_f, d) => sink(d), llseek: () => 0, poll: () => READY };
  const zero: DeviceOps = { read: (_f, n) => new Uint8Array(n), write: (_f, d) => sink(d), llseek: () => 0, poll: () => READY };
  const full: DeviceOps = {
    read: (_f, n) => new Uint8Array(n),
    write: () => {
      throw new Errno('ENOSPC');
    },
    llseek: () => 0,
    poll: () => READY,
  };
  const random: DeviceOps = { read: (_f, n) => prng.fill(new Uint8Array(Math.min(n, 1 << 20))), write: (_f, d) => sink(d), poll: () => READY, stream: true };
  devices.register('char', MEM_MAJOR, 3, nul, 'mem');
  devices.register('char', MEM_MAJOR, 5, zero, 'mem');
  devices.register('char', MEM_MAJOR, 7, full, 'mem');
  devices.register('char', MEM_MAJOR, 8, random, 'mem');
  devices.register('char', MEM_MAJOR, 9, random, 'mem');

  let partial = '';
  const decoder = new TextDecoder();
  const console: DeviceOps = {
    stream: true,
    read: () => new Uint8Array(0),
    write: (_f, d) => {
      const lines = (partial + decoder.decode(d)).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) consoleLine(l);
      return d.length;
    },
    poll: () => READY,
  };
  devices.register('char', TTYAUX_MAJOR, 1, console, '/dev/console');
}
