import { describe, expect, it } from 'vitest';
import { GuestRam } from '../../src/memory/guest-ram.js';
import { AddressSpace } from '../../src/memory/address-space.js';
import { IoPortSpace } from '../../src/memory/io-ports.js';
import { OutOfRangeAccessError, RegionOverlapError, UnmappedAccessError } from '../../src/memory/errors.js';

const GiB = 1024 ** 3;

describe('guest RAM costs nothing until touched', () => {
  it('a 4 GiB guest allocates only the pages it writes', () => {
    const ram = new GuestRam(4 * GiB);
    expect(ram.residentBytes).toBe(0);
    expect(ram.readUint(3 * GiB, 4)).toBe(0);
    expect(ram.residentBytes).toBe(0);
    ram.writeUint(3 * GiB + 8, 4, 0xdeadbeef);
    expect(ram.residentBytes).toBe(4096);
    expect(ram.readUint(3 * GiB + 8, 4)).toBe(0xdeadbeef);
  });

  it('is cut into memory blocks of the configured size (default 128 MiB)', () => {
    expect(new GuestRam(2 * GiB).blockCount).toBe(16);
    expect(new GuestRam(2 * GiB, 256 * 1024 * 1024).blockCount).toBe(8);
    const ram = new GuestRam(GiB);
    expect(ram.grow(128 * 1024 * 1024)).toBe(GiB);
    expect(ram.blockCount).toBe(9);
  });

  it('reads and writes spanning page boundaries, little-endian', () => {
    const ram = new GuestRam(1024 * 1024);
    ram.writeUint(4094, 4, 0x11223344);
    expect(ram.readUint(4094, 2)).toBe(0x3344);
    expect(ram.readUint(4096, 2)).toBe(0x1122);
    expect(ram.readUint(4094, 4)).toBe(0x11223344);
    const data = Uint8Array.from({ length: 10000 }, (_, i) => i & 0xff);
    ram.write(100, data);
    expect(ram.read(100, 10000)).toEqual(data);
  });

  it('zero-filling whole pages frees them', () => {
    const ram = new GuestRam(1024 * 1024);
    ram.fill(0, 8192, 7);
    expect(ram.residentBytes).toBe(8192);
    ram.fill(0, 8192, 0);
    expect(ram.residentBytes).toBe(0);
  });

  it('reports out-of-range accesses as typed errors', () => {
    const ram = new GuestRam(4096);
    expect(() => ram.readUint(4094, 4)).toThrow(OutOfRangeAccessError);
    expect(() => ram.write(-1, new Uint8Array(1))).toThrow(OutOfRangeAccessError);
  });
});

describe('physical address space', () => {
  function space() {
    const ram = new GuestRam(2 * 1024 * 1024);
    const as = new AddressSpace(ram);
    as.mapRam(0, 1024 * 1024, 0);
    as.mapRam(4 * GiB, 1024 * 1024, 1024 * 1024);
    return as;
  }

  it('dispatches MMIO by address and keeps RAM high and low apart', () => {
    const as = space();
    const log: string[] = [];
    as.mapMmio('dev', 0xfe00_0000, 0x1000, {
      read: (off, size) => {
        log.push(`r${off}/${size}`);
        return 0xab;
      },
      write: (off, size, v) => log.push(`w${off}/${size}=${v}`),
      peek: () => 0xcd,
    });
    as.write(0xfe00_0010, 4, 5);
    expect(as.read(0xfe00_0004, 2)).toBe(0xab);
    expect(as.peek(0xfe00_0004, 2)).toBe(0xcd);
    expect(log).toEqual(['w16/4=5', 'r4/2']);
    as.write(4 * GiB + 16, 4, 0x12345678);
    expect(as.read(4 * GiB + 16, 4)).toBe(0x12345678);
    expect(as.ram.readUint(1024 * 1024 + 16, 4)).toBe(0x12345678);
  });

  it('peek and poke touch RAM without device side effects; poke refuses MMIO', () => {
    const as = space();
    as.mapMmio('dev', 0xfe00_0000, 0x1000, { read: () => 1, write: () => undefined });
    as.poke(0x100, 4, 99);
    expect(as.peek(0x100, 4)).toBe(99);
    expect(() => as.poke(0xfe00_0000, 4, 1)).toThrow(OutOfRangeAccessError);
  });

  it('refuses overlapping regions', () => {
    const as = space();
    const ops = { read: () => 0, write: () => undefined };
    as.mapMmio('a', 0xfe00_0000, 0x1000, ops);
    expect(() => as.mapMmio('b', 0xfe00_0800, 0x1000, ops)).toThrow(RegionOverlapError);
    expect(() => as.mapMmio('c', 0x8000, 0x1000, ops)).toThrow(RegionOverlapError);
  });

  it('gives typed errors for unmapped addresses, illegal widths and straddling accesses', () => {
    const as = space();
    expect(() => as.read(0x2000_0000, 4)).toThrow(UnmappedAccessError);
    expect(() => as.read(1024 * 1024 - 2, 4)).toThrow(OutOfRangeAccessError);
    expect(() => as.read(0, 3 as 4)).toThrow(OutOfRangeAccessError);
    expect(() => as.readBytes(1024 * 1024 - 2, 4)).toThrow(UnmappedAccessError);
  });

  it('64-bit accessors round-trip', () => {
    const as = space();
    as.writeU64(0x40, 0x1122_3344_5566_7788n);
    expect(as.readU64(0x40)).toBe(0x1122_3344_5566_7788n);
  });
});

describe('port I/O space', () => {
  it('reads all ones from ports nobody decodes and counts them', () => {
    const io = new IoPortSpace();
    expect(io.read(0x80, 1)).toBe(0xff);
    expect(io.read(0x80, 2)).toBe(0xffff);
    expect(io.read(0x80, 4)).toBe(0xffff_ffff);
    expect(io.unmappedReads).toBe(3);
  });

  it('dispatches by port with overlap checks and range errors', () => {
    const io = new IoPortSpace();
    const writes: number[] = [];
    io.map('x', 0x510, 2, { read: (off) => off + 1, write: (_o, _s, v) => writes.push(v) });
    expect(io.read(0x511, 1)).toBe(2);
    io.write(0x510, 2, 0x1_0019);
    expect(writes).toEqual([0x0019]);
    expect(() => io.map('y', 0x511, 1, { read: () => 0, write: () => undefined })).toThrow(RegionOverlapError);
    expect(() => io.read(0xffff, 2)).toThrow(OutOfRangeAccessError);
  });
});
