/**
 * User fw_cfg files (`-fw_cfg name=opt/...,string=...`): published after the devices so that a
 * user's file replaces one the machine generated under the same name (the network defaults).
 */
import type { FwCfg } from '../../devices/chipset/fw-cfg.js';
import type { FwCfgFileSpec } from './config.js';
import { QemuOptsError } from '../cli/qemu-opts.js';

/** Longest user file accepted (fw_cfg items are read a byte at a time by firmware). */
export const FW_CFG_USER_FILE_MAX = 64 * 1024;

/** Adds every user file; throws QemuOptsError (a command-line error) for oversized ones. */
export function publishUserFwCfgFiles(fw: FwCfg, files: readonly FwCfgFileSpec[]): void {
  for (const f of files) {
    const data = new TextEncoder().encode(f.data);
    if (data.length > FW_CFG_USER_FILE_MAX) throw new QemuOptsError(`-fw_cfg name=${f.name}: file larger than ${FW_CFG_USER_FILE_MAX} bytes`);
    fw.setFile(f.name, data);
  }
}
