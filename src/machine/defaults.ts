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

/** Adds the default agent and QMP sockets (and, as they exist, default devices). */
export function addDefaults(cfg: MachineConfig, ep: DefaultEndpoints): void {
  if (cfg.noDefaults) return;
  cfg.chardevs.push({ kind: 'options', value: `socket,id=${QGA_CHARDEV_ID},path=${escapeOpt(ep.qgaPath)},server=on,wait=off` });
  cfg.chardevs.push({ kind: 'options', value: `socket,id=${QMP_CHARDEV_ID},path=${escapeOpt(ep.qmpPath)},server=on,wait=off` });
  cfg.monitors.push({ chardev: QMP_CHARDEV_ID, mode: 'control', pretty: false });
}

/** Doubles commas so a path survives QemuOpts splitting. */
export function escapeOpt(s: string): string {
  return s.replace(/,/g, ',,');
}
