/** guest-get-fsinfo: mount list, sysfs walk to the PCI controller, bus types, space, udev's dev/serial. */
import { describe, expect, it } from 'vitest';
import type { Booted } from '../guest-programs/helpers.js';
import { expectNoFaults } from '../guest-programs/helpers.js';
import { FakeDiskFs, errorOf, startAgent, sysBlockDevice, sysPciFunction } from './helpers.js';

const VIRTIO_BLK = '/devices/pci0000:00/0000:00:05.0';

function virtioBlkRoot(k: Booted): void {
  sysPciFunction(k, VIRTIO_BLK, 'virtio-pci');
  sysBlockDevice(k, `${VIRTIO_BLK}/virtio2/block/vda`, 254, 0);
  sysBlockDevice(k, `${VIRTIO_BLK}/virtio2/block/vda/vda1`, 254, 1);
  new FakeDiskFs(k, '/mnt/a', 254, 1, []);
}

describe('guest-get-fsinfo', () => {
  it('7.2: virtio-blk partition, with space, device node, and QEMU key order', () => {
    const a = startAgent({ setup: virtioBlkRoot });
    expect(a.ask('{"execute":"guest-get-fsinfo"}')).toBe(
      '{"return": [{"name": "vda1", "total-bytes": 3686400, "mountpoint": "/mnt/a", "disk": [' +
        '{"bus-type": "virtio", "bus": 0, "unit": 0, "pci-controller": {"bus": 0, "slot": 5, "domain": 0, "function": 0}, "dev": "/dev/vda1", "target": 0}' +
        '], "used-bytes": 2457600, "type": "ext4"}]}\n',
    );
    expectNoFaults(a);
  });

  it('2.5: the same disk without space, dev or serial', () => {
    const a = startAgent({ profile: '2.5', setup: virtioBlkRoot });
    expect(a.ask('{"execute":"guest-get-fsinfo"}')).toBe(
      '{"return": [{"name": "vda1", "mountpoint": "/mnt/a", "disk": [{"bus-type": "virtio", "bus": 0, "unit": 0, "pci-controller": {"bus": 0, "slot": 5, "domain": 0, "function": 0}, "target": 0}], "type": "ext4"}]}\n',
    );
  });

  it('virtio-scsi, IDE (host rank = bus), SATA (host rank = unit); reverse mount order', () => {
    const a = startAgent({
      setup: (k) => {
        sysPciFunction(k, '/devices/pci0000:00/0000:00:06.0', 'virtio-pci');
        sysBlockDevice(k, '/devices/pci0000:00/0000:00:06.0/virtio3/host0/target0:0:1/0:0:1:2/block/sda', 8, 0);
        new FakeDiskFs(k, '/mnt/scsi', 8, 0, []);
        sysPciFunction(k, '/devices/pci0000:00/0000:00:01.1', 'ata_piix');
        k.kernel.sysfs.dir('/devices/pci0000:00/0000:00:01.1/ata1');
        sysBlockDevice(k, '/devices/pci0000:00/0000:00:01.1/ata2/host1/target1:0:0/1:0:0:0/block/sdb', 8, 16);
        new FakeDiskFs(k, '/mnt/ide', 8, 16, []);
        sysPciFunction(k, '/devices/pci0000:00/0000:00:1f.2', 'ahci');
        for (const n of [1, 3, 5]) k.kernel.sysfs.dir(`/devices/pci0000:00/0000:00:1f.2/ata${n}`);
        sysBlockDevice(k, '/devices/pci0000:00/0000:00:1f.2/ata3/host2/target2:0:0/2:0:0:0/block/sdc', 8, 32);
        new FakeDiskFs(k, '/mnt/sata', 8, 32, []);
      },
    });
    const r = a.call('guest-get-fsinfo').return as { mountpoint: string; disk: { 'bus-type': string; bus: number; target: number; unit: number; 'pci-controller': { slot: number; function: number } }[] }[];
    expect(r.map((f) => f.mountpoint)).toEqual(['/mnt/sata', '/mnt/ide', '/mnt/scsi']);
    const d = r.map((f) => f.disk[0]!);
    expect(d[0]).toMatchObject({ 'bus-type': 'sata', bus: 0, target: 0, unit: 1, 'pci-controller': { slot: 0x1f, function: 2 } });
    expect(d[1]).toMatchObject({ 'bus-type': 'ide', bus: 1, target: 0, unit: 0, 'pci-controller': { slot: 1, function: 1 } });
    expect(d[2]).toMatchObject({ 'bus-type': 'scsi', bus: 0, target: 0, unit: 2, 'pci-controller': { slot: 6, function: 0 } });
  });

  it('behind a PCI bridge: 7.2 walks down to the controller, 2.5 only looked at the first function', () => {
    const setup = (k: Booted): void => {
      sysPciFunction(k, '/devices/pci0000:00/0000:00:1e.0', 'pcieport');
      sysPciFunction(k, '/devices/pci0000:00/0000:00:1e.0/0000:01:03.0', 'virtio-pci');
      sysBlockDevice(k, '/devices/pci0000:00/0000:00:1e.0/0000:01:03.0/virtio4/block/vdb', 254, 16);
      new FakeDiskFs(k, '/mnt/b', 254, 16, []);
    };
    const r = startAgent({ setup }).call('guest-get-fsinfo').return as { disk: unknown[] }[];
    expect(r[0]!.disk).toEqual([{ 'bus-type': 'virtio', bus: 0, target: 0, unit: 0, 'pci-controller': { domain: 0, bus: 1, slot: 3, function: 0 }, dev: '/dev/vdb' }]);
    const old = startAgent({ profile: '2.5', setup }).call('guest-get-fsinfo').return as { disk: unknown[] }[];
    expect(old[0]!.disk).toEqual([]);
  });

  it('device-mapper: named after dm-N, disks from its slaves; ID_SERIAL from the udev database', () => {
    const a = startAgent({
      setup: (k) => {
        sysPciFunction(k, VIRTIO_BLK, 'virtio-pci');
        sysBlockDevice(k, `${VIRTIO_BLK}/virtio2/block/vda/vda2`, 254, 2);
        sysBlockDevice(k, '/devices/virtual/block/dm-0', 253, 0);
        k.kernel.sysfs.link('/devices/virtual/block/dm-0/slaves/vda2', `${VIRTIO_BLK}/virtio2/block/vda/vda2`);
        k.kernel.writeFile('/run/udev/data/b254:2', 'S:disk/by-id/virtio-SER123-part2\nE:ID_SERIAL=SER123\n');
        new FakeDiskFs(k, '/mnt/lv', 253, 0, [], { type: 'xfs' });
      },
    });
    const r = a.call('guest-get-fsinfo').return as { name: string; type: string; disk: unknown[] }[];
    expect(r).toHaveLength(1);
    expect(r[0]).toMatchObject({ name: 'dm-0', type: 'xfs' });
    expect(r[0]!.disk).toEqual([{ serial: 'SER123', 'bus-type': 'virtio', bus: 0, target: 0, unit: 0, 'pci-controller': { domain: 0, bus: 0, slot: 5, function: 0 }, dev: '/dev/vda2' }]);
  });

  it('unknown hardware: 7.2 keeps an "unknown" entry when udev knows the node; missing sysfs is an error', () => {
    const a = startAgent({
      setup: (k) => {
        sysBlockDevice(k, '/devices/platform/sdhci.0/mmc_host/mmc0/mmc0:0001/block/mmcblk0', 179, 0);
        new FakeDiskFs(k, '/mnt/sd', 179, 0, []);
      },
    });
    const r = a.call('guest-get-fsinfo').return as { disk: unknown[] }[];
    expect(r[0]!.disk).toEqual([{ 'bus-type': 'unknown', bus: 0, target: 0, unit: 0, 'pci-controller': { domain: -1, bus: -1, slot: -1, function: -1 }, dev: '/dev/mmcblk0' }]);
    const b = startAgent({ setup: (k) => void new FakeDiskFs(k, '/mnt/x', 254, 9, []) });
    expect(errorOf(b.call('guest-get-fsinfo'))).toBe('realpath("/sys/dev/block/254:9"): No such file or directory');
  });

  it('a guest with only virtual filesystems reports an empty list', () => {
    expect(startAgent().ask('{"execute":"guest-get-fsinfo"}')).toBe('{"return": []}\n');
  });
});
