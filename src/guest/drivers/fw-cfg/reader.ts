/**
 * The guest kernel's fw_cfg reader (what Linux's qemu_fw_cfg driver does with the ports):
 * select a key, read bytes from the data port; files are found through the directory.
 */
import {
  FW_CFG_DIR_ENTRY_SIZE,
  FW_CFG_FILE_DIR,
  FW_CFG_PORT_DATA,
  FW_CFG_PORT_SEL,
  FW_CFG_SIGNATURE,
  decodeFwCfgDirectory,
} from '../../../abi/fw-cfg.js';
import type { CpuBus } from '../../../machine/cpu-bus.js';

/** Most directory entries believed (the directory count comes from the host). */
export const FW_CFG_MAX_ENTRIES = 1024;

/** Reads fw_cfg through port I/O. */
export class GuestFwCfg {
  /** Uses `bus` for the port accesses. */
  constructor(private readonly bus: CpuBus) {}

  /** True when the "QEMU" signature answers. */
  present(): boolean {
    return new TextDecoder().decode(this.item(FW_CFG_SIGNATURE, 4)) === 'QEMU';
  }

  /** `len` bytes of item `key`. */
  item(key: number, len: number): Uint8Array {
    this.bus.out(FW_CFG_PORT_SEL, 2, key);
    const out = new Uint8Array(len);
    for (let i = 0; i < len; i++) out[i] = this.bus.in(FW_CFG_PORT_DATA, 1);
    return out;
  }

  /** A named file, at most `maxBytes` of it; undefined when absent. */
  file(name: string, maxBytes: number): Uint8Array | undefined {
    if (!this.present()) return undefined;
    const count = Math.min(new DataView(this.item(FW_CFG_FILE_DIR, 4).buffer).getUint32(0, false), FW_CFG_MAX_ENTRIES);
    const e = decodeFwCfgDirectory(this.item(FW_CFG_FILE_DIR, 4 + count * FW_CFG_DIR_ENTRY_SIZE), count).get(name);
    return e === undefined ? undefined : this.item(e.key, Math.min(e.size, maxBytes));
  }
}
