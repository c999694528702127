/**
 * Scanning a host (Linux's scsi_scan_host): for each channel and target, an INQUIRY at LUN
 * 0 tells whether anything answers; a SPC-2-or-later target is asked REPORT LUNS for its
 * other LUNs, each confirmed by its own INQUIRY. Every logical unit with peripheral
 * qualifier 0 gets its /sys directory (vendor, model, rev, ...) and, if it is a disk, sd.
 * One command at a time, driven by completions.
 */
import {
  INQUIRY_PRODUCT,
  INQUIRY_PRODUCT_LEN,
  INQUIRY_REVISION,
  INQUIRY_REVISION_LEN,
  INQUIRY_STANDARD_SIZE,
  INQUIRY_VENDOR,
  INQUIRY_VENDOR_LEN,
  INQUIRY_VERSION,
  PERIPHERAL_QUALIFIER_SHIFT,
  PERIPHERAL_TYPE_MASK,
  REPORT_LUNS_ENTRY_SIZE,
  REPORT_LUNS_HEADER_SIZE,
  SAM_STAT_GOOD,
  VPD_DEVICE_ID,
  VPD_HEADER_SIZE,
  VPD_SUPPORTED_PAGES,
  VPD_UNIT_SERIAL,
  decodeScsiLun,
  getBe,
} from '../../../abi/scsi.js';
import { inquiryCdb, reportLunsCdb } from './cdb.js';
import type { ScsiAddress, ScsiDeviceInfo, ScsiHost } from './host.js';
import { sdProbe, SD_DEVICE_TYPES } from './sd.js';

/** Allocation for the VPD pages read at attach. */
export const SCAN_VPD_ALLOC = 255;
/** REPORT LUNS allocation: room for 511 LUNs, as Linux first asks. */
export const SCAN_REPORT_LUNS_ALLOC = 4096;
/** INQUIRY version of SPC-2: from here on targets are asked REPORT LUNS. */
const SCSI_VERSION_SPC2 = 4;
/** Linux's names of peripheral device types, for the "scsi H:C:T:L:" log line. */
const TYPE_NAMES: Readonly<Record<number, string>> = {
  0x00: 'Direct-Access',
  0x01: 'Sequential-Access',
  0x04: 'WORM',
  0x05: 'CD-ROM',
  0x07: 'Optical Device',
  0x08: 'Medium Changer',
  0x0c: 'RAID',
  0x0d: 'Enclosure',
  0x0e: 'Direct-Access-RBC',
  0x14: 'Host-managed Zoned Block',
};

function text(b: Uint8Array, off: number, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) {
    const c = b[off + i] ?? 0x20;
    s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : ' ';
  }
  return s;
}

/** Scans every target of `host`, then calls `done`. */
export function scanHost(host: ScsiHost, done: () => void): void {
  const t = host.template;
  const targets: { channel: number; id: number }[] = [];
  for (let channel = 0; channel <= t.maxChannel; channel++) for (let id = 0; id <= t.maxId; id++) targets.push({ channel, id });
  let i = 0;
  const next = (): void => {
    const tgt = targets[i++];
    if (!tgt) {
      done();
      return;
    }
    scanTarget(host, tgt.channel, tgt.id, next);
  };
  next();
}

/** Scans one target (LUN 0, then what REPORT LUNS lists); `done` runs after every unit found was added. */
export function scanTarget(host: ScsiHost, channel: number, id: number, done: () => void): void {
  probeLun(host, { channel, id, lun: 0 }, (answered, version) => {
    if (!answered || host.template.maxLun === 0 || version < SCSI_VERSION_SPC2) {
      done();
      return;
    }
    const buf = new Uint8Array(SCAN_REPORT_LUNS_ALLOC);
    host.execute({ channel, id, lun: 0 }, reportLunsCdb(buf.length), 'from-device', buf, (r) => {
      if (r.hostError !== undefined || r.status !== SAM_STAT_GOOD) {
        done();
        return;
      }
      const listed = Math.min(getBe(buf, 0, 4), r.transferred - REPORT_LUNS_HEADER_SIZE);
      const luns: number[] = [];
      for (let off = REPORT_LUNS_HEADER_SIZE; off + REPORT_LUNS_ENTRY_SIZE <= REPORT_LUNS_HEADER_SIZE + listed; off += REPORT_LUNS_ENTRY_SIZE) {
        const lun = decodeScsiLun(buf.subarray(off, off + REPORT_LUNS_ENTRY_SIZE));
        if (lun !== 0 && lun <= host.template.maxLun && !luns.includes(lun)) luns.push(lun);
      }
      let k = 0;
      const nextLun = (): void => {
        const lun = luns[k++];
        if (lun === undefined) done();
        else probeLun(host, { channel, id, lun }, () => nextLun());
      };
      nextLun();
    });
  });
}

/**
 * INQUIRY at `addr`; a unit with qualifier 0 is added (and sd attached) before `done` runs.
 * `answered` is false when no target is there; `version` is the INQUIRY version byte.
 */
function probeLun(host: ScsiHost, addr: ScsiAddress, done: (answered: boolean, version: number) => void): void {
  const buf = new Uint8Array(INQUIRY_STANDARD_SIZE);
  host.execute(addr, inquiryCdb(buf.length), 'from-device', buf, (r) => {
    if (r.hostError !== undefined || r.status !== SAM_STAT_GOOD || r.transferred < 5) {
      done(false, 0);
      return;
    }
    const pq = buf[0]! >> PERIPHERAL_QUALIFIER_SHIFT;
    const version = buf[INQUIRY_VERSION]!;
    if (pq !== 0) {
      done(true, version);
      return;
    }
    // A rescan (hotplug event) finds the units it already has again: nothing to add.
    if (host.devices.some((d) => d.channel === addr.channel && d.id === addr.id && d.lun === addr.lun)) {
      done(true, version);
      return;
    }
    const dev = addDevice(host, addr, buf);
    const attach = () => (SD_DEVICE_TYPES.includes(dev.type) ? sdProbe(host, dev, () => done(true, version)) : done(true, version));
    if (version >= SCSI_VERSION_SPC2) attachVpd(host, dev, attach);
    else attach();
  });
}

/**
 * Linux's scsi_attach_vpd: the supported-pages list, then the unit serial (0x80) and device
 * identification (0x83) pages when listed, kept for /sys/.../vpd_pg80 and vpd_pg83 (what
 * udev's ID_SERIAL comes from).
 */
function attachVpd(host: ScsiHost, dev: ScsiDeviceInfo, done: () => void): void {
  const fetch = (page: number, cb: (b: Uint8Array | undefined) => void): void => {
    const buf = new Uint8Array(SCAN_VPD_ALLOC);
    host.execute(dev, inquiryCdb(buf.length, page), 'from-device', buf, (r) => {
      const ok = r.hostError === undefined && r.status === SAM_STAT_GOOD && r.transferred >= VPD_HEADER_SIZE && buf[1] === page;
      cb(ok ? buf.slice(0, Math.min(r.transferred, VPD_HEADER_SIZE + getBe(buf, 2, 2))) : undefined);
    });
  };
  fetch(VPD_SUPPORTED_PAGES, (list) => {
    const pages = list ? Array.from(list.subarray(VPD_HEADER_SIZE)) : [];
    const want = [VPD_UNIT_SERIAL, VPD_DEVICE_ID].filter((p) => pages.includes(p));
    const next = (): void => {
      const page = want.shift();
      if (page === undefined) {
        done();
        return;
      }
      fetch(page, (b) => {
        if (b) {
          const sysfs = host.kernel.sysfs;
          const name = page === VPD_UNIT_SERIAL ? 'vpd_pg80' : 'vpd_pg83';
          sysfs.attr(`${dev.sysfsDir}/${name}`, { mode: 0o444, show: () => b });
          if (page === VPD_UNIT_SERIAL) dev.serial = text(b, VPD_HEADER_SIZE, b.length - VPD_HEADER_SIZE).trim();
        }
        next();
      });
    };
    next();
  });
}

/** The unit's /sys directory and links, and the kernel's "scsi H:C:T:L: ..." line. */
function addDevice(host: ScsiHost, addr: ScsiAddress, inq: Uint8Array): ScsiDeviceInfo {
  const h = host.hostNo;
  const target = `target${h}:${addr.channel}:${addr.id}`;
  const hctl = `${h}:${addr.channel}:${addr.id}:${addr.lun}`;
  const targetDir = `${host.sysfsDir}/${target}`;
  const dir = `${targetDir}/${hctl}`;
  const version = inq[INQUIRY_VERSION]!;
  const dev: ScsiDeviceInfo = {
    host: h,
    ...addr,
    type: inq[0]! & PERIPHERAL_TYPE_MASK,
    vendor: text(inq, INQUIRY_VENDOR, INQUIRY_VENDOR_LEN),
    model: text(inq, INQUIRY_PRODUCT, INQUIRY_PRODUCT_LEN),
    rev: text(inq, INQUIRY_REVISION, INQUIRY_REVISION_LEN),
    scsiLevel: version + 1,
    sysfsDir: dir,
  };
  const sysfs = host.kernel.sysfs;
  if (!sysfs.exists(targetDir)) {
    sysfs.dir(targetDir);
    sysfs.link(`${targetDir}/subsystem`, '/bus/scsi');
  }
  sysfs.dir(dir);
  sysfs.value(`${dir}/vendor`, () => dev.vendor);
  sysfs.value(`${dir}/model`, () => dev.model);
  sysfs.value(`${dir}/rev`, () => dev.rev);
  sysfs.value(`${dir}/type`, () => dev.type);
  sysfs.value(`${dir}/scsi_level`, () => dev.scsiLevel);
  sysfs.value(`${dir}/state`, () => 'running');
  sysfs.value(`${dir}/device_blocked`, () => 0);
  sysfs.value(`${dir}/timeout`, () => 30);
  sysfs.link(`${dir}/subsystem`, '/bus/scsi');
  sysfs.link(`/bus/scsi/devices/${hctl}`, dir);
  sysfs.link(`${dir}/scsi_device/${hctl}/subsystem`, '/class/scsi_device');
  sysfs.link(`/class/scsi_device/${hctl}`, `${dir}/scsi_device/${hctl}`);
  host.devices.push(dev);
  // Linux's type names are 17 characters wide in this line.
  const typeName = (TYPE_NAMES[dev.type] ?? 'Unknown').padEnd(17);
  host.log(`scsi ${hctl}: ${typeName} ${dev.vendor} ${dev.model} ${dev.rev} PQ: 0 ANSI: ${version}`);
  return dev;
}
