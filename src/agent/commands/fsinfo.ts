/**
 * guest-get-fsinfo: for each mount of build_fs_mount_list (reported in reverse order, the
 * list being built by prepending) the kernel name of its block device, its type, its
 * space (7.2) and the disks it lies on, found by walking sysfs the way qemu-ga does:
 *
 * - realpath(/sys/dev/block/MAJ:MIN) names the device ("vda1", "dm-0");
 * - a device under /devices/virtual/block/ (device-mapper, md) stands for the devices
 *   in its slaves/ directory, each walked the same way;
 * - a real device's path is parsed: after "/devices/pci" come the PCI functions on the
 *   way down (root port, bridges, controller); the first whose driver qemu-ga knows
 *   (ata_piix, sym53c8xx, virtio-pci, ahci, nvme) is the controller. "/target H:C:T/H:C:T:L"
 *   gives channel, target and LUN, "/ataN" or "/hostN" the host, whose rank among its
 *   siblings is the bus (IDE) or unit (SATA). 2.5 looked at the first PCI function only.
 * - 7.2 asks libudev for the device node (the uevent's DEVNAME) and ID_SERIAL (udev's
 *   database), and keeps a disk entry with unknown address if either is known.
 */
import { DT_LNK, Errno, type Block } from '../../guest/kernel/index.js';
import type { QgaHandlers } from '../protocol/handler.js';
import { wideFromBigInt } from '../schema/wide.js';
import type { GuestDiskAddress, GuestDiskBusType, GuestFilesystemInfo } from '../schema/types.js';
import { errnoError, isLegacy, readTextFile, type QgaCall, type QgaCommandEnv } from './common.js';
import { buildFsMountList, type FsMount } from './mounts.js';

/** How many ataN/hostN siblings build_hosts collects. */
export const FSINFO_MAX_HOSTS = 8;
/** Where udev keeps device properties. */
export const UDEV_DATA_DIR = '/run/udev/data';

/** PCI drivers whose devices qemu-ga 7.2 can address (2.5: the first four). */
const KNOWN_DRIVERS_7_2 = ['ata_piix', 'sym53c8xx', 'virtio-pci', 'ahci', 'nvme'];

const PCI_ROOT = /^[0-9a-fA-F]+:[0-9a-fA-F]+\/([0-9a-fA-F]+):([0-9a-fA-F]+):([0-9a-fA-F]+)\.([0-9a-fA-F]+)/;
const PCI_NEXT = /^\/([0-9a-fA-F]+):([0-9a-fA-F]+):([0-9a-fA-F]+)\.([0-9a-fA-F]+)/;
const TARGET = /^\d+:\d+:\d+\/\d+:(\d+):(\d+):(\d+)/;
const CCW = /^[0-9a-fA-F]+\/([0-9a-fA-F]+)\.([0-9a-fA-F]+)\.([0-9a-fA-F]+)\/[0-9a-fA-F]+\.[0-9a-fA-F]+\.([0-9a-fA-F]+)\//;

function basename(p: string): string {
  return p.split('/').filter((s) => s !== '').pop() ?? p;
}

/** "/target..." of a SCSI path: [channel, target, lun]. */
function parseTarget(syspath: string): [number, number, number] | undefined {
  const at = syspath.indexOf('/target');
  if (at < 0) return undefined;
  const m = TARGET.exec(syspath.slice(at + 7));
  return m === null ? undefined : [Number(m[1]) >>> 0, Number(m[2]) >>> 0, Number(m[3]) >>> 0];
}

/** The get-fsinfo handler. */
export function fsinfoHandlers(env: QgaCommandEnv): QgaHandlers<Block> {
  const { sys } = env;

  function* realpath(devpath: string): QgaCall<string> {
    try {
      return yield* sys.realpath(devpath);
    } catch (e) {
      throw errnoError(`realpath("${devpath}")`, e);
    }
  }

  function* pciDriver(dir: string): QgaCall<string | undefined> {
    try {
      return basename(yield* sys.readlink(`${dir}/driver`));
    } catch (e) {
      if (e instanceof Errno) return undefined;
      throw e;
    }
  }

  // build_hosts: the sorted numbers of the ataN or hostN entries beside `hostAt`.
  function* buildHosts(syspath: string, hostAt: number, ata: boolean): QgaCall<number[]> {
    const dir = syspath.slice(0, hostAt);
    let entries;
    try {
      entries = yield* sys.readdir(dir);
    } catch (e) {
      throw errnoError(`opendir("${dir}")`, e);
    }
    const hosts: number[] = [];
    const re = ata ? /^ata([+-]?\d+)/ : /^host([+-]?\d+)/;
    for (const ent of entries) {
      if (hosts.length >= FSINFO_MAX_HOSTS) break;
      const m = re.exec(ent.name);
      if (m !== null) hosts.push(Number(m[1]) >>> 0);
    }
    return hosts.sort((a, b) => a - b);
  }

  /** The host number in the path and its rank among its siblings, if any. */
  function* hostRank(syspath: string): QgaCall<{ host: number; hosts: number[] } | undefined> {
    let at = syspath.indexOf('/ata');
    let ata = true;
    let numAt = at + 4;
    if (at < 0) {
      at = syspath.indexOf('/host');
      ata = false;
      numAt = at + 5;
    }
    if (at < 0) return undefined;
    const m = /^\s*[+-]?\d+/.exec(syspath.slice(numAt));
    if (m === null) return undefined;
    return { host: Number(m[0]) >>> 0, hosts: yield* buildHosts(syspath, at, ata) };
  }

  // build_guest_fsinfo_for_pci_dev; false when no address could be worked out.
  function* forPciDev(syspath: string, disk: GuestDiskAddress, legacy: boolean): QgaCall<boolean> {
    const at = syspath.indexOf('/devices/pci');
    const root = at < 0 ? null : PCI_ROOT.exec(syspath.slice(at + 12));
    if (root === null) return false;
    const pci = root.slice(1, 5).map((h) => parseInt(h, 16) >>> 0) as [number, number, number, number];
    let end = at + 12 + root[0].length;
    let driver: string | undefined;
    if (legacy) {
      driver = yield* pciDriver(syspath.slice(0, end));
      if (driver === undefined) return false;
    } else {
      for (;;) {
        driver = yield* pciDriver(syspath.slice(0, end));
        if (driver !== undefined && KNOWN_DRIVERS_7_2.includes(driver)) break;
        const next = PCI_NEXT.exec(syspath.slice(end));
        if (next === null) return false;
        for (let i = 0; i < 4; i++) pci[i] = parseInt(next[i + 1]!, 16) >>> 0;
        end += next[0].length;
      }
    }
    const tgt = parseTarget(syspath);
    const host = yield* hostRank(syspath);
    disk['pci-controller'] = { domain: pci[0], bus: pci[1], slot: pci[2], function: pci[3] };
    const rank = host === undefined ? -1 : host.hosts.indexOf(host.host);
    switch (driver) {
      case 'ata_piix':
        // One host per IDE bus: target*:0:<unit>:0.
        if (host === undefined || tgt === undefined || rank < 0) return false;
        disk['bus-type'] = 'ide';
        disk.bus = rank;
        disk.unit = tgt[1];
        return true;
      case 'sym53c8xx':
        if (tgt === undefined) return false;
        disk['bus-type'] = 'scsi';
        disk.unit = tgt[1];
        return true;
      case 'virtio-pci':
        // virtio-scsi: target*:0:0:<lun>; virtio-blk: one disk per device.
        if (tgt !== undefined) {
          disk['bus-type'] = 'scsi';
          disk.unit = tgt[2];
        } else disk['bus-type'] = 'virtio';
        return true;
      case 'ahci':
        // One host per SATA port.
        if (host === undefined || tgt === undefined || rank < 0) return false;
        disk['bus-type'] = 'sata';
        disk.unit = rank;
        return true;
      case 'nvme':
        if (legacy) return false;
        disk['bus-type'] = 'nvme';
        return true;
      default:
        return false;
    }
  }

  // virtio on a non-PCI transport (virtio-mmio, ccw).
  function forNonPciVirtio(syspath: string, disk: GuestDiskAddress): boolean {
    if (!syspath.includes('/virtio') || !syspath.includes('/block')) return false;
    const tgt = parseTarget(syspath);
    if (tgt !== undefined) {
      disk['bus-type'] = 'scsi';
      disk.bus = tgt[0];
      disk.target = tgt[1];
      disk.unit = tgt[2];
    } else disk['bus-type'] = 'virtio';
    return true;
  }

  function forCcwDev(syspath: string, disk: GuestDiskAddress): boolean {
    const at = syspath.indexOf('/devices/css');
    const m = at < 0 ? null : CCW.exec(syspath.slice(at + 12));
    if (m === null) return false;
    const [cssid, ssid, subchno, devno] = m.slice(1, 5).map((h) => parseInt(h, 16) >>> 0) as [number, number, number, number];
    disk['ccw-address'] = { cssid, ssid, subchno, devno };
    if (syspath.slice(at).includes('/virtio')) forNonPciVirtio(syspath, disk);
    return true;
  }

  /** What libudev knows of a device: its node from the uevent, ID_SERIAL from udev's database. */
  function* udevInfo(syspath: string): QgaCall<{ dev?: string; serial?: string }> {
    let uevent: string;
    try {
      uevent = yield* readTextFile(sys, `${syspath}/uevent`);
    } catch (e) {
      if (e instanceof Errno) return {};
      throw e;
    }
    const props = new Map(uevent.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const));
    const out: { dev?: string; serial?: string } = {};
    const name = props.get('DEVNAME');
    if (name !== undefined && name !== '') out.dev = name.startsWith('/') ? name : `/dev/${name}`;
    const maj = props.get('MAJOR');
    const min = props.get('MINOR');
    if (maj !== undefined && min !== undefined) {
      try {
        const db = yield* readTextFile(sys, `${UDEV_DATA_DIR}/b${maj}:${min}`);
        const line = db.split('\n').find((l) => l.startsWith('E:ID_SERIAL='));
        const serial = line?.slice('E:ID_SERIAL='.length);
        if (serial !== undefined && serial !== '') out.serial = serial;
      } catch (e) {
        if (!(e instanceof Errno)) throw e;
      }
    }
    return out;
  }

  function* forRealDevice(syspath: string, fs: GuestFilesystemInfo, legacy: boolean): QgaCall<void> {
    const disk: GuestDiskAddress = {
      'pci-controller': legacy ? { domain: 0, bus: 0, slot: 0, function: 0 } : { domain: -1, bus: -1, slot: -1, function: -1 },
      'bus-type': (legacy ? 'ide' : 'unknown') satisfies GuestDiskBusType,
      bus: 0,
      target: 0,
      unit: 0,
    };
    if (!legacy) Object.assign(disk, yield* udevInfo(syspath));
    let hw: boolean;
    if (syspath.includes('/devices/pci')) hw = yield* forPciDev(syspath, disk, legacy);
    else if (legacy) hw = false;
    else if (syspath.includes('/devices/css')) hw = forCcwDev(syspath, disk);
    else if (syspath.includes('/virtio')) hw = forNonPciVirtio(syspath, disk);
    else hw = false;
    if (hw || disk.dev !== undefined || disk.serial !== undefined) fs.disk.unshift(disk);
  }

  function* forVirtualDevice(syspath: string, fs: GuestFilesystemInfo, legacy: boolean): QgaCall<void> {
    const dir = `${syspath}/slaves`;
    let entries;
    try {
      entries = yield* sys.readdir(dir);
    } catch (e) {
      if (Errno.is(e, 'ENOENT')) return;
      throw errnoError(`opendir("${dir}")`, e);
    }
    for (const ent of entries) if (ent.type === DT_LNK) yield* forDevice(`${syspath}/slaves/${ent.name}`, fs, legacy);
  }

  function* forDevice(devpath: string, fs: GuestFilesystemInfo, legacy: boolean): QgaCall<void> {
    const syspath = yield* realpath(devpath);
    if (fs.name === '') fs.name = basename(syspath);
    const resolved = yield* realpath(syspath);
    if (resolved.includes('/devices/virtual/block/')) yield* forVirtualDevice(syspath, fs, legacy);
    else yield* forRealDevice(syspath, fs, legacy);
  }

  function* buildFsinfo(m: FsMount, legacy: boolean): QgaCall<GuestFilesystemInfo> {
    const fs: GuestFilesystemInfo = { name: '', mountpoint: m.dirname, type: m.devtype, disk: [] };
    yield* forDevice(`/sys/dev/block/${m.devmajor}:${m.devminor}`, fs, legacy);
    if (!legacy) {
      try {
        const st = yield* sys.statfs(m.dirname);
        const frsize = BigInt(st.frsize > 0 ? st.frsize : st.bsize);
        const used = BigInt(st.blocks) - BigInt(st.bfree);
        fs['used-bytes'] = wideFromBigInt(BigInt.asUintN(64, used * frsize));
        fs['total-bytes'] = wideFromBigInt(BigInt.asUintN(64, (used + BigInt(st.bavail)) * frsize));
      } catch (e) {
        if (!(e instanceof Errno)) throw e;
      }
    }
    return fs;
  }

  return {
    'guest-get-fsinfo': function* (_args, ctx) {
      const legacy = isLegacy(ctx);
      const out: GuestFilesystemInfo[] = [];
      for (const m of yield* buildFsMountList(sys)) out.unshift(yield* buildFsinfo(m, legacy));
      return out;
    },
  };
}
