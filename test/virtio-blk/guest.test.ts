/**
 * The guest's virtio_blk driver against virtio-blk-pci in a booted machine: disks appear as
 * vda, vdb... with Linux's sysfs layout, block I/O through the kernel's block layer reaches
 * the drive's image (VIRTIO 1.2 §5.2.5 initialization, §5.2.6 operation), and a device that
 * needs a reset is recovered.
 */
import { describe, expect, it } from 'vitest';
import { virtioBlkDisks } from '../../src/guest/drivers/virtio-blk/index.js';
import { bootStorageRig, pattern } from './harness.js';

/** Byte equality without vitest's element-by-element diff (slow on a megabyte). */
function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
}

describe('virtio_blk: probe and sysfs (VIRTIO 1.2 §5.2.5)', () => {
  const rig = bootStorageRig({
    drives: ['if=none,id=d0,size=8M', 'if=virtio,size=4M,serial=AUTO-SERIAL'],
    devices: ['virtio-blk-pci,drive=d0,serial=QM00001,addr=05'],
  });

  it('names disks vda, vdb in PCI probe order and hangs each under its virtioN device', () => {
    // The if=virtio device is created after the -device list but takes the first free slot (2).
    expect(rig.os.bound.get('0000:00:02.0')).toBe('virtio_blk');
    expect(rig.os.bound.get('0000:00:05.0')).toBe('virtio_blk');
    const disks = virtioBlkDisks(rig.os.kernel);
    expect(disks.map((d) => d.name)).toEqual(['vda', 'vdb']);
    expect(disks[1]!.sysfsParent).toBe('/devices/pci0000:00/0000:00:05.0/virtio1');
    expect(rig.os.kernel.sysfs.exists('/devices/pci0000:00/0000:00:05.0/virtio1/block/vdb')).toBe(true);
    expect(rig.sys('/block/vda/size').trim()).toBe(String(4 * 2048));
    expect(rig.sys('/block/vdb/size').trim()).toBe(String(8 * 2048));
    expect(rig.sys('/devices/pci0000:00/0000:00:05.0/virtio1/device').trim()).toBe('0x0002');
    expect(rig.os.kernel.sysfs.exists('/bus/virtio/drivers/virtio_blk/virtio1')).toBe(true);
  });

  it('§5.2.6 GET_ID: /sys/block/vdX/serial shows the device serial, or the legacy -drive serial', () => {
    expect(rig.sys('/block/vda/serial')).toBe('AUTO-SERIAL\n');
    expect(rig.sys('/block/vdb/serial')).toBe('QM00001\n');
  });

  it('§5.2.4: capacity, write cache and discard limits become the queue limits', () => {
    expect(rig.sys('/block/vdb/queue/write_cache').trim()).toBe('write back');
    expect(rig.sys('/block/vdb/queue/discard_max_bytes').trim()).toBe(String(0x3f_ffff * 512));
    expect(rig.sys('/block/vdb/queue/logical_block_size').trim()).toBe('512');
    expect(rig.sys('/block/vdb/ro').trim()).toBe('0');
    expect(rig.log()).toContain('virtio_blk virtio1: [vdb] 16384 512-byte logical blocks (8.39 MB/8.00 MiB)');
  });
});

describe('virtio_blk over each virtio-pci interface (VIRTIO 1.2 §4.1)', () => {
  it('drives modern-only (1af4:1042) and legacy-only (1af4:1001) functions alike', () => {
    const rig = bootStorageRig({
      drives: ['if=none,id=d0,size=1M', 'if=none,id=d1,size=1M'],
      devices: ['virtio-blk-pci-non-transitional,drive=d0', 'virtio-blk-pci,drive=d1,disable-modern=on'],
    });
    expect(rig.sys('/devices/pci0000:00/0000:00:02.0/device').trim()).toBe('0x1042');
    expect(rig.sys('/devices/pci0000:00/0000:00:03.0/device').trim()).toBe('0x1001');
    for (const [name, id] of [['vda', 'd0'], ['vdb', 'd1']] as const) {
      const data = pattern(2, name.length);
      expect(rig.io(name, 'write', 4, 2, data)).toBeUndefined();
      expect(rig.drive(id).image!.read(4, 2)).toEqual(data);
    }
  });
});

describe('virtio_blk: block I/O reaches the image (VIRTIO 1.2 §5.2.6)', () => {
  it('writes land in the DiskImage and reads return what the image holds', () => {
    const rig = bootStorageRig({ drives: ['if=virtio,id=d0,size=8M'] });
    const data = pattern(16, 3);
    expect(rig.io('vda', 'write', 64, 16, data)).toBeUndefined();
    expect(rig.drive('d0').image!.read(64, 16)).toEqual(data);
    rig.drive('d0').image!.write(200, pattern(4, 9));
    const buf = new Uint8Array(4 * 512);
    expect(rig.io('vda', 'read', 200, 4, buf)).toBeUndefined();
    expect(buf).toEqual(pattern(4, 9));
  });

  it('a bio larger than one request slot goes out as several requests and still lands whole', () => {
    const rig = bootStorageRig({ drives: ['if=virtio,id=d0,size=8M'] });
    const disk = virtioBlkDisks(rig.os.kernel)[0]!;
    const before = disk.stats().requests;
    const data = pattern(2048, 5);
    let err: unknown = 'pending';
    disk.submit({ op: 'write', sector: 4096, count: 2048, data, end: (e) => (err = e) });
    rig.step(5);
    expect(err).toBeUndefined();
    expect(disk.stats().requests - before).toBe(4);
    expect(same(rig.drive('d0').image!.read(4096, 2048), data)).toBe(true);
  });

  it('discards reach the image (stats().discards) unless the drive says discard=ignore', () => {
    const rig = bootStorageRig({ drives: ['if=virtio,id=d0,size=8M', 'if=virtio,id=d1,size=8M,discard=ignore'] });
    expect(rig.io('vda', 'discard', 128, 64)).toBeUndefined();
    expect(rig.drive('d0').stats()).toMatchObject({ discards: 1, discardedSectors: 64 });
    expect(rig.io('vdb', 'discard', 128, 64)).toBeUndefined();
    expect(rig.drive('d1').stats().discards).toBe(0);
    expect(rig.drive('d1').ignoredDiscards).toBe(1);
  });

  it('flushes reach the image', () => {
    const rig = bootStorageRig({ drives: ['if=virtio,id=d0,size=8M'] });
    expect(rig.io('vda', 'flush', 0, 0)).toBeUndefined();
    expect(rig.drive('d0').stats().flushes).toBe(1);
  });

  it('a read-only drive is a read-only disk; a write the driver is given anyway fails with EIO', () => {
    const rig = bootStorageRig({ drives: ['if=virtio,id=d0,size=8M,readonly=on'] });
    expect(rig.sys('/block/vda/ro').trim()).toBe('1');
    const disk = virtioBlkDisks(rig.os.kernel)[0]!;
    let err: unknown = 'pending';
    disk.submit({ op: 'write', sector: 0, count: 1, data: pattern(1), end: (e) => (err = e) });
    rig.step();
    expect(err).toBe('EIO');
    expect(rig.drive('d0').stats().writtenSectors).toBe(0);
  });

  it('a request beyond the capacity that reaches the device fails with EIO (IOERR)', () => {
    const rig = bootStorageRig({ drives: ['if=virtio,id=d0,size=1M'] });
    const disk = virtioBlkDisks(rig.os.kernel)[0]!;
    let err: unknown = 'pending';
    disk.submit({ op: 'read', sector: 2040, count: 16, data: new Uint8Array(16 * 512), end: (e) => (err = e) });
    rig.step();
    expect(err).toBe('EIO');
  });
});

describe('virtio_blk: recovery from DEVICE_NEEDS_RESET (VIRTIO 1.2 §2.1.2)', () => {
  it('a malformed chain breaks the device; the driver resets it and I/O works again', () => {
    const rig = bootStorageRig({ drives: ['if=virtio,id=d0,size=8M'], trace: ['virtio', 'guest'] });
    const disk = virtioBlkDisks(rig.os.kernel)[0]!;
    // What a buggy driver would do: a request with an 8-byte header.
    const addr = rig.os.platform.alloc.alloc(16, 16);
    disk.drv.queue(0).addBuffer([{ addr, len: 8, dir: 'out' }, { addr: addr + 8, len: 1, dir: 'in' }], undefined as never);
    disk.drv.notify(0);
    rig.step(2);
    expect(rig.records.some((r) => r.message.endsWith('error: virtio-blk request outhdr too short'))).toBe(true);
    expect(disk.stats().resets).toBe(1);
    const data = pattern(8, 11);
    expect(rig.io('vda', 'write', 0, 8, data)).toBeUndefined();
    expect(rig.drive('d0').image!.read(0, 8)).toEqual(data);
  });
});
