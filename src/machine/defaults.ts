/**
 * What `qga-sim` with no options runs: the default devices and host endpoints, added to a
 * configuration unless `-nodefaults` is given.
 */
import type { MachineConfig } from './config.js';

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

/**
 * Adds the default devices; the agent port uses chardev `qga0`, which the caller provides
 * (a socket from addDefaults, or an in-memory pipe in the library).
 */
export function addDefaultDevices(cfg: MachineConfig): void {
  if (cfg.noDefaults) return;
  // Placed before user devices, as QEMU creates board devices first.
  cfg.devices.unshift(
    { driver: 'virtio-serial-pci', props: [['id', 'virtio-serial0']] },
    { driver: 'virtserialport', props: [['chardev', QGA_CHARDEV_ID], ['name', QGA_PORT_NAME], ['id', 'channel0']] },
  );
}

/** Doubles commas so a path survives QemuOpts splitting. */
export function escapeOpt(s: string): string {
  return s.replace(/,/g, ',,');
}
