/**
 * The guest's virtio_scsi driver, SCSI midlayer and sd against virtio-scsi-pci with scsi-hd
 * disks in a booted machine: hosts and disks appear with Linux's names and sysfs layout, the
 * scan finds LUNs through REPORT LUNS, and block I/O becomes READ/WRITE(16), SYNCHRONIZE
 * CACHE and UNMAP on the drive's image.
 */
import { describe, expect, it } from 'vitest';
import { diskName } from '../../src/guest/drivers/disk-names.js';
import { scsiHosts, sdDisks, sdMajor } from '../../src/guest/drivers/scsi/index.js';
import { virtioScsiHbas } from '../../src/guest/drivers/virtio-scsi/index.js';
import { bootStorageRig, pattern } from '../virtio-blk/harness.js';

describe('SCSI midlayer: hosts, scan and sd naming', () => {
  const rig = bootStorageRig({
    drives: ['if=none,id=d0,size=8M', 'if=none,id=d1,size=4M', 'if=none,id=d2,size=2M'],
    devices: [
      'virtio-scsi-pci,id=scsi0,addr=04',
      'scsi-hd,bus=scsi0.0,drive=d0,channel=0,scsi-id=0,lun=0',
      'scsi-hd,bus=scsi0.0,drive=d1,scsi-id=2,lun=3,serial=LUN3',
      'virtio-scsi-pci,id=scsi1,addr=06',
      'scsi-hd,bus=scsi1.0,drive=d2',
    ],
  });

  it('numbers hosts per kernel and puts hostN under the virtioN device with a scsi_host class entry', () => {
    expect(scsiHosts(rig.os.kernel).map((h) => [h.hostNo, h.sysfsDir, h.scanned])).toEqual([
      [0, '/devices/pci0000:00/0000:00:04.0/virtio0/host0', true],
      [1, '/devices/pci0000:00/0000:00:06.0/virtio1/host1', true],
    ]);
    expect(rig.sys('/class/scsi_host/host1/proc_name')).toBe('virtio_scsi\n');
    expect(rig.os.bound.get('0000:00:04.0')).toBe('virtio_scsi');
  });

  it('finds LUN 0 by INQUIRY and LUN 3 of target 2 through REPORT LUNS; disks are sda, sdb, sdc in scan order', () => {
    expect(scsiHosts(rig.os.kernel)[0]!.devices.map((d) => [d.id, d.lun, d.disk])).toEqual([
      [0, 0, 'sda'],
      [2, 3, 'sdb'],
    ]);
    expect(sdDisks(rig.os.kernel).map((d) => d.name)).toEqual(['sda', 'sdb', 'sdc']);
    const dir = '/devices/pci0000:00/0000:00:04.0/virtio0/host0/target0:0:2/0:0:2:3';
    expect(rig.os.kernel.sysfs.exists(`${dir}/block/sdb`)).toBe(true);
    expect(rig.sys('/block/sdb/size').trim()).toBe(String(4 * 2048));
    expect([rig.sys(`${dir}/vendor`), rig.sys(`${dir}/model`), rig.sys(`${dir}/rev`), rig.sys(`${dir}/type`)]).toEqual(['QEMU    \n', 'QEMU HARDDISK   \n', '2.5+\n', '0\n']);
    expect(rig.os.kernel.sysfs.exists('/bus/scsi/devices/1:0:0:0')).toBe(true);
    expect(rig.log()).toContain('scsi 0:0:2:3: Direct-Access     QEMU     QEMU HARDDISK    2.5+ PQ: 0 ANSI: 5');
    expect(rig.log()).toContain('sd 0:0:0:0: [sda] 16384 512-byte logical blocks: (8.39 MB/8.00 MiB)');
  });

  it('reads the unit serial from VPD page 0x80 into /sys/.../vpd_pg80, as udev\'s ID_SERIAL source', () => {
    const dev = scsiHosts(rig.os.kernel)[0]!.devices[1]!;
    expect(dev.serial).toBe('LUN3');
    const raw = rig.os.kernel.readFile(`/sys${dev.sysfsDir}/vpd_pg80`);
    expect(Array.from(raw)).toEqual([0, 0x80, 0, 4, ...new TextEncoder().encode('LUN3')]);
    expect(scsiHosts(rig.os.kernel)[0]!.devices[0]!.serial).toBeUndefined();
  });

  it('an empty target is skipped because the adapter answers BAD_TARGET', () => {
    // 256 targets per host were probed; only the two with disks answered.
    expect(virtioScsiHbas(rig.os.kernel)[0]!.stats().noConnect).toBe(254);
  });

  it('sd takes the limits the VPD pages and READ CAPACITY(16) give: UNMAP-based discard, write-back cache', () => {
    expect(rig.sys('/block/sda/queue/discard_granularity').trim()).toBe('4096');
    expect(rig.sys('/block/sda/queue/write_cache').trim()).toBe('write back');
    expect(rig.sys('/class/scsi_disk/0:0:0:0/provisioning_mode')).toBe('unmap\n');
  });

  it('uses Linux\'s names and majors past sdz', () => {
    expect([diskName('sd', 0), diskName('sd', 25), diskName('sd', 26), diskName('sd', 701), diskName('sd', 702)]).toEqual(['sda', 'sdz', 'sdaa', 'sdzz', 'sdaaa']);
    expect([sdMajor(0), sdMajor(15), sdMajor(16), sdMajor(127), sdMajor(128)]).toEqual([8, 8, 65, 71, 128]);
  });
});

describe('sd block I/O through virtio-scsi (VIRTIO 1.2 §5.6.6.1)', () => {
  const rig = bootStorageRig({ drives: ['if=none,id=d0,size=8M'], devices: ['virtio-scsi-pci,id=scsi0', 'scsi-hd,bus=scsi0.0,drive=d0'] });

  it('writes land in the image, reads return it, flush becomes SYNCHRONIZE CACHE, discard becomes UNMAP', () => {
    const data = pattern(8, 6);
    expect(rig.io('sda', 'write', 100, 8, data)).toBeUndefined();
    expect(rig.drive('d0').image!.read(100, 8)).toEqual(data);
    rig.drive('d0').image!.write(300, pattern(2, 8));
    const buf = new Uint8Array(1024);
    expect(rig.io('sda', 'read', 300, 2, buf)).toBeUndefined();
    expect(buf).toEqual(pattern(2, 8));
    expect(rig.io('sda', 'flush', 0, 0)).toBeUndefined();
    expect(rig.drive('d0').stats().flushes).toBe(1);
    expect(rig.io('sda', 'discard', 64, 64)).toBeUndefined();
    expect(rig.drive('d0').stats()).toMatchObject({ discards: 1, discardedSectors: 64 });
  });

  it('a request bigger than one command goes out as several READ(16)s', () => {
    const hba = virtioScsiHbas(rig.os.kernel)[0]!;
    const before = hba.stats().commands;
    const disk = sdDisks(rig.os.kernel)[0]!;
    let err: unknown = 'pending';
    disk.submit({ op: 'read', sector: 0, count: 2048, data: new Uint8Array(2048 * 512), end: (e) => (err = e) });
    rig.step();
    expect(err).toBeUndefined();
    expect(hba.stats().commands - before).toBe(4);
  });
});

describe('sd with other drives', () => {
  const rig = bootStorageRig({
    drives: ['if=none,id=d0,size=8M', 'if=none,id=d1,size=8M,readonly=on'],
    devices: ['virtio-scsi-pci', 'scsi-hd,drive=d0,discard_granularity=0', 'scsi-hd,drive=d1'],
  });

  it('without logical block provisioning (discard_granularity=0) sd does no discards', () => {
    expect(rig.sys('/class/scsi_disk/0:0:0:0/provisioning_mode')).toBe('full\n');
    const disk = sdDisks(rig.os.kernel)[0]!;
    let err: unknown = 'pending';
    disk.submit({ op: 'discard', sector: 0, count: 8, end: (e) => (err = e) });
    rig.step();
    expect(err).toBe('EOPNOTSUPP');
    expect(rig.drive('d0').stats().discards).toBe(0);
  });

  it('a read-only drive is a write-protected disk: ro in sysfs, writes fail with EIO (DATA PROTECT)', () => {
    expect(rig.sys('/block/sdb/ro').trim()).toBe('1');
    const disk = sdDisks(rig.os.kernel)[1]!;
    let err: unknown = 'pending';
    disk.submit({ op: 'write', sector: 0, count: 1, data: pattern(1), end: (e) => (err = e) });
    rig.step();
    expect(err).toBe('EIO');
    expect(rig.drive('d1').stats().writtenSectors).toBe(0);
  });
});

describe('virtio_scsi: recovery from DEVICE_NEEDS_RESET (VIRTIO 1.2 §2.1.2)', () => {
  it('a malformed request breaks the device; the driver resets it and the disk works again', () => {
    const rig = bootStorageRig({ drives: ['if=none,id=d0,size=8M'], devices: ['virtio-scsi-pci', 'scsi-hd,drive=d0'], trace: ['virtio', 'guest'] });
    const hba = virtioScsiHbas(rig.os.kernel)[0]!;
    const addr = rig.os.platform.alloc.alloc(64, 16);
    hba.drv.queue(2).addBuffer([{ addr, len: 20, dir: 'out' }, { addr: addr + 32, len: 12, dir: 'in' }], undefined as never);
    hba.drv.notify(2);
    rig.step(2);
    expect(rig.records.some((r) => r.message.endsWith('error: wrong size for virtio-scsi headers'))).toBe(true);
    expect(hba.stats().resets).toBe(1);
    const data = pattern(4, 12);
    expect(rig.io('sda', 'write', 8, 4, data)).toBeUndefined();
    expect(rig.drive('d0').image!.read(8, 4)).toEqual(data);
  });
});
