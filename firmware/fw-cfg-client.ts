/** Firmware's reader for fw_cfg: select a key, then read bytes from the data port. */
import {
  FW_CFG_DIR_ENTRY_SIZE,
  FW_CFG_FILE_DIR,
  FW_CFG_MAX_FILE_PATH,
  FW_CFG_PORT_DATA,
  FW_CFG_PORT_SEL,
  FW_CFG_SIGNATURE,
} from '../src/abi/fw-cfg.js';
import type { CpuBus } from '../src/machine/cpu-bus.js';

/** Reads fw_cfg items and files through port I/O. */
export class FwCfgClient {
  private dir: Map<string, { key: number; size: number }> | undefined;

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

  private directory(): Map<string, { key: number; size: number }> {
    if (this.dir) return this.dir;
    const countBytes = this.readItem(FW_CFG_FILE_DIR, 4);
    const count = new DataView(countBytes.buffer).getUint32(0, false);
    const all = this.readItem(FW_CFG_FILE_DIR, 4 + count * FW_CFG_DIR_ENTRY_SIZE);
    const dv = new DataView(all.buffer);
    const dir = new Map<string, { key: number; size: number }>();
    for (let i = 0; i < count; i++) {
      const o = 4 + i * FW_CFG_DIR_ENTRY_SIZE;
      const nameBytes = all.subarray(o + 8, o + 8 + FW_CFG_MAX_FILE_PATH);
      const nul = nameBytes.indexOf(0);
      const name = new TextDecoder().decode(nameBytes.subarray(0, nul < 0 ? nameBytes.length : nul));
      dir.set(name, { key: dv.getUint16(o + 4, false), size: dv.getUint32(o, false) });
    }
    this.dir = dir;
    return dir;
  }
}
