/** guest-get/set-vcpus and the memory block commands over /sys/devices/system. */
import { describe, expect, it } from 'vitest';
import { Errno, type ErrnoCode } from '../../src/guest/kernel/index.js';
import type { Booted } from '../guest-programs/helpers.js';
import { expectNoFaults } from '../guest-programs/helpers.js';
import { errorOf, startAgent } from './helpers.js';

/** A writable sysfs attribute holding `value`; writes of `refuse` fail with that errno. */
function attr(k: Booted, path: string, value: { v: string }, refuse?: ErrnoCode): void {
  k.kernel.sysfs.attr(path, {
    mode: 0o644,
    show: () => `${value.v}\n`,
    store: (d) => {
      if (refuse !== undefined) throw new Errno(refuse);
      value.v = d.trim();
    },
  });
}

describe('guest-get-vcpus / guest-set-vcpus', () => {
  const online = { cpu1: { v: '1' }, cpu2: { v: '1' } };
  function cpus(k: Booted, busy?: ErrnoCode): void {
    k.kernel.sysfs.dir('/devices/system/cpu/cpu0');
    attr(k, '/devices/system/cpu/cpu1/online', (online.cpu1 = { v: '1' }));
    attr(k, '/devices/system/cpu/cpu2/online', (online.cpu2 = { v: '0' }), busy);
    k.kernel.sysfs.dir('/devices/system/cpu/cpufreq');
    k.kernel.sysfs.value('/devices/system/cpu/online', () => '0-1');
  }

  it('lists cpuN in directory order; no online file = online, cannot offline', () => {
    const a = startAgent({ setup: (k) => cpus(k) });
    expect(a.ask('{"execute":"guest-get-vcpus"}')).toBe(
      '{"return": [{"online": true, "can-offline": false, "logical-id": 0}, {"online": true, "can-offline": true, "logical-id": 1}, {"online": false, "can-offline": true, "logical-id": 2}]}\n',
    );
    expectNoFaults(a);
  });

  it('sets in order and returns how many were done; the error only when none was', () => {
    const a = startAgent({ setup: (k) => cpus(k) });
    expect(a.call('guest-set-vcpus', { vcpus: [{ 'logical-id': 1, online: false }, { 'logical-id': 2, online: true }] }).return).toBe(2);
    expect([online.cpu1.v, online.cpu2.v]).toEqual(['0', '1']);
    expect(a.call('guest-set-vcpus', { vcpus: [{ 'logical-id': 1, online: true }, { 'logical-id': 9999, online: true }, { 'logical-id': 2, online: false }] }).return).toBe(1);
    expect([online.cpu1.v, online.cpu2.v]).toEqual(['1', '1']);
    expect(errorOf(a.call('guest-set-vcpus', { vcpus: [{ 'logical-id': 9999, online: true }] }))).toBe('open("/sys/devices/system/cpu/cpu9999/"): No such file or directory');
    expect(errorOf(a.call('guest-set-vcpus', { vcpus: [{ 'logical-id': 0, online: false }] }))).toBe("logical processor #0 can't be offlined");
    expect(a.call('guest-set-vcpus', { vcpus: [{ 'logical-id': 0, online: true }] }).return).toBe(1);
    expect(a.call('guest-set-vcpus', { vcpus: [] }).return).toBe(0);
  });

  it('a refused write is pwrite("<dir>//online") with the errno', () => {
    const a = startAgent({ setup: (k) => cpus(k, 'EBUSY') });
    expect(errorOf(a.call('guest-set-vcpus', { vcpus: [{ 'logical-id': 2, online: true }] }))).toBe('pwrite("/sys/devices/system/cpu/cpu2//online"): Device or resource busy');
  });

  it('without /sys/devices/system/cpu: "failed to list entries"', () => {
    expect(errorOf(startAgent().call('guest-get-vcpus'))).toBe('failed to list entries: /sys/devices/system/cpu: No such file or directory');
  });

  it('2.5 counted the processors and walked 0..N-1', () => {
    const a = startAgent({ profile: '2.5', setup: (k) => cpus(k) });
    expect((a.call('guest-get-vcpus').return as { 'logical-id': number }[]).map((c) => c['logical-id'])).toEqual([0, 1, 2]);
  });
});

describe('memory blocks', () => {
  const state: Record<string, { v: string }> = {};
  function blocks(k: Booted, refuse?: ErrnoCode): void {
    k.kernel.sysfs.value('/devices/system/memory/block_size_bytes', () => '8000000');
    for (const [n, s, removable] of [[0, 'online', '0'], [1, 'online', '1'], [32, 'offline', '1']] as const) {
      attr(k, `/devices/system/memory/memory${n}/state`, (state[n] = { v: s }), n === 32 ? refuse : undefined);
      k.kernel.sysfs.value(`/devices/system/memory/memory${n}/removable`, () => removable);
    }
    k.kernel.sysfs.dir('/devices/system/memory/memory40');
    k.kernel.sysfs.dir('/devices/system/memory/power');
  }

  it('get-memory-blocks: memoryN directories; a block without state is online and fixed', () => {
    const a = startAgent({ setup: (k) => blocks(k) });
    expect(a.ask('{"execute":"guest-get-memory-blocks"}')).toBe(
      '{"return": [{"online": true, "can-offline": false, "phys-index": 0}, {"online": true, "can-offline": true, "phys-index": 1}, ' +
        '{"online": false, "can-offline": true, "phys-index": 32}, {"online": true, "can-offline": false, "phys-index": 40}]}\n',
    );
  });

  it('get-memory-block-info: block_size_bytes read as hex', () => {
    const a = startAgent({ setup: (k) => blocks(k) });
    expect(a.ask('{"execute":"guest-get-memory-block-info"}')).toBe('{"return": {"size": 134217728}}\n');
  });

  it('set-memory-blocks: one response per block, in order, with errno where qemu-ga sets it', () => {
    const a = startAgent({ setup: (k) => blocks(k, 'EBUSY') });
    expect(a.ask({ execute: 'guest-set-memory-blocks', arguments: { 'mem-blks': [
      { 'phys-index': 1, online: false },
      { 'phys-index': 0, online: true },
      { 'phys-index': 5, online: true },
      { 'phys-index': 32, online: true },
      { 'phys-index': 40, online: false },
      { 'phys-index': 40, online: true },
    ] } })).toBe(
      '{"return": [{"response": "success", "phys-index": 1}, {"response": "success", "phys-index": 0}, ' +
        '{"response": "not-found", "error-code": 2, "phys-index": 5}, {"response": "operation-failed", "error-code": 16, "phys-index": 32}, ' +
        '{"response": "operation-not-supported", "error-code": 2, "phys-index": 40}, {"response": "success", "error-code": 2, "phys-index": 40}]}\n',
    );
    expect(state[1]!.v).toBe('offline');
    expect(a.call('guest-set-memory-blocks', { 'mem-blks': [] }).return).toEqual([]);
  });

  it('without /sys/devices/system/memory: no blocks, operation-not-supported, block-info fails', () => {
    const a = startAgent();
    expect(a.call('guest-get-memory-blocks').return).toEqual([]);
    expect(a.call('guest-set-memory-blocks', { 'mem-blks': [{ 'phys-index': 3, online: true }] }).return).toEqual([{ 'phys-index': 3, response: 'operation-not-supported', 'error-code': 2 }]);
    expect(errorOf(a.call('guest-get-memory-block-info'))).toBe('open("/sys/devices/system/memory/"): No such file or directory');
    const empty = startAgent({ setup: (k) => k.kernel.sysfs.dir('/devices/system/memory') });
    expect(errorOf(empty.call('guest-get-memory-blocks'))).toBe('guest reported zero memory blocks!');
    expect(errorOf(empty.call('guest-get-memory-block-info'))).toBe('open sysfs file "block_size_bytes": No such file or directory');
  });
});
