/** Firmware's reader for fw_cfg: select a key, then read bytes from the data port. */
import {
  FW_CFG_DIR_ENTRY_SIZE,
  FW_CFG_FILE_DIR,
  FW_CFG_PORT_DATA,
  FW_CFG_PORT_SEL,
  FW_CFG_SIGNATURE,
  decodeFwCfgDirectory,
  type FwCfgDirEntry,
} from '../src/abi/fw-cfg.js';
import type { CpuBus } from '../src/machine/cpu-bus.js';

/** Reads fw_cfg items and files through port I/O. */
export class FwCfgClient {
  private dir: Map<string, FwCfgDirEntry> | undefined;

  /** Wraps the CPU bus. */
  constructor(private readonly bus: CpuBus) {}

  /** True when the "QEMU" signature answers. */
  present(): boolean {
    const sig = this.readItem(FW_CFG_SIGNATURE, 4);
    return new TextDecoder().decode(sig) === 'QEMU';
  }

  /** Reads `len` bytes of a fixed-key item. */
  readItem(key: number, len: number): Uint8Array {
    this.bus.out(FW_CFG_PORT_SEL, 2, key);
    const out = new Uint8Array(len);
    for (let i = 0; i < len; i++) out[i] = this.bus.in(FW_CFG_PORT_DATA, 1);
    return out;
  }

  /** Reads a named file, or undefined when the VMM does not publish it. */
  readFile(name: string): Uint8Array | undefined {
    const e = this.directory().get(name);
    return e ? this.readItem(e.key, e.size) : undefined;
  }

  private directory(): Map<string, FwCfgDirEntry> {
    if (this.dir) return this.dir;
    const count = new DataView(this.readItem(FW_CFG_FILE_DIR, 4).buffer).getUint32(0, false);
    this.dir = decodeFwCfgDirectory(this.readItem(FW_CFG_FILE_DIR, 4 + count * FW_CFG_DIR_ENTRY_SIZE));
    return this.dir;
  }
}
