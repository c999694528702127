/**
 * What `qga-sim` with no options runs: the default devices and host endpoints, added to a
 * configuration unless `-nodefaults` is given.
 */
import type { DeviceSpec, MachineConfig } from './config.js';
import { parseDriveOption, type DriveSpec } from './drive-options.js';
import type { DiskRole } from './default-disks.js';
import { parseQemuOpts } from '../cli/qemu-opts.js';

/** The agent port's name, as libvirt and Proxmox configure it. */
export const QGA_PORT_NAME = 'org.qemu.guest_agent.0';
/** Chardev id of the default agent socket. */
export const QGA_CHARDEV_ID = 'qga0';
/** Chardev id of the default QMP socket. */
export const QMP_CHARDEV_ID = 'qmp0';

/** Host paths of the default endpoints. */
export interface DefaultEndpoints {
  /** Unix socket of the guest agent channel. */
  qgaPath: string;
  /** Unix socket of the QMP monitor. */
  qmpPath: string;
}

/** Adds the default agent and QMP sockets and the default devices. */
export function addDefaults(cfg: MachineConfig, ep: DefaultEndpoints): void {
  if (cfg.noDefaults) return;
  cfg.chardevs.push({ kind: 'options', value: `socket,id=${QGA_CHARDEV_ID},path=${escapeOpt(ep.qgaPath)},server=on,wait=off` });
  cfg.chardevs.push({ kind: 'options', value: `socket,id=${QMP_CHARDEV_ID},path=${escapeOpt(ep.qmpPath)},server=on,wait=off` });
  cfg.monitors.push({ chardev: QMP_CHARDEV_ID, mode: 'control', pretty: false });
  addDefaultDevices(cfg);
}

/** Which default devices: the whole default machine, or only the agent channel (for small test machines). */
export type DefaultDeviceSet = 'full' | 'agent-only';

/** Kernel command line of the default guest: root on the virtio disk, resume from its swap. */
export const DEFAULT_APPEND = 'root=/dev/vda1 rw resume=/dev/vda2';

/** -device strings of the default machine, with drives they use. Addresses are fixed so guest names are stable (ens3, vda, sda...). */
const FULL_DEVICES: readonly string[] = [
  'virtio-net-pci,id=net0,netdev=hostnet0,mac=52:54:00:12:34:56,addr=03.0',
  'virtio-blk-pci,id=virtio-disk0,drive=drive-virtio-disk0,addr=05.0',
  'pci-bridge,id=pci.1,chassis_nr=1,addr=1e.0',
  'virtio-scsi-pci,id=scsi0,bus=pci.1,addr=01.0',
  'scsi-hd,id=scsi0-0-0-0,bus=scsi0.0,drive=drive-scsi0-0-0-0,scsi-id=0,lun=0',
  'scsi-hd,id=scsi0-0-1-0,bus=scsi0.0,drive=drive-scsi0-0-1-0,scsi-id=1,lun=0',
  'ich9-ahci,id=sata0,addr=06.0',
  'ide-hd,id=sata0-0-0,bus=sata0.0,drive=drive-sata0-0-0',
  'ide-hd,id=ide0-0-0,bus=ide.0,unit=0,drive=drive-ide0-0-0',
];

/** Drives of the default machine: in-memory sparse images, prepared on creation. */
const FULL_DRIVES: readonly { opt: string; role: DiskRole }[] = [
  { opt: 'if=none,id=drive-virtio-disk0,size=8G', role: 'root' },
  { opt: 'if=none,id=drive-scsi0-0-0-0,size=1G', role: 'lvm-a' },
  { opt: 'if=none,id=drive-scsi0-0-1-0,size=1G', role: 'lvm-b' },
  { opt: 'if=none,id=drive-sata0-0-0,size=2G', role: 'sata-data' },
  { opt: 'if=none,id=drive-ide0-0-0,size=1G', role: 'ide-srv' },
];

function deviceSpec(opt: string): DeviceSpec {
  const o = parseQemuOpts(opt, 'driver');
  return { driver: o.implied ?? '', props: o.pairs };
}

/**
 * Adds the default devices; the agent port uses chardev `qga0`, which the caller provides
 * (a socket from addDefaults, or an in-memory pipe in the library).
 */
export function addDefaultDevices(cfg: MachineConfig, set: DefaultDeviceSet = 'full'): void {
  if (cfg.noDefaults) return;
  const agent: DeviceSpec[] = [
    { driver: 'virtio-serial-pci', props: [['id', 'virtio-serial0'], ...(set === 'full' ? ([['addr', '04.0']] as [string, string][]) : [])] },
    { driver: 'virtserialport', props: [['chardev', QGA_CHARDEV_ID], ['name', QGA_PORT_NAME], ['id', 'channel0']] },
  ];
  if (set === 'agent-only') {
    // Placed before user devices, as QEMU creates board devices first.
    cfg.devices.unshift(...agent);
    return;
  }
  const drives: DriveSpec[] = [];
  for (const d of FULL_DRIVES) drives.push({ ...parseDriveOption(d.opt, [...drives, ...cfg.drives]), provision: { role: d.role } });
  cfg.drives.unshift(...drives);
  if (!cfg.netdevs.some((n) => n.id === 'hostnet0')) cfg.netdevs.unshift({ type: 'user', id: 'hostnet0', props: [] });
  const [net, ...rest] = FULL_DEVICES.map(deviceSpec);
  cfg.devices.unshift(...(net ? [net] : []), ...agent, ...rest);
  if (cfg.append === '') cfg.append = DEFAULT_APPEND;
}

/** Doubles commas so a path survives QemuOpts splitting. */
export function escapeOpt(s: string): string {
  return s.replace(/,/g, ',,');
}
