/**
 * fw_cfg on the x86 I/O ports (0x510 selector, 0x511 data): the channel through which the
 * VMM tells firmware about the platform. Only the traditional byte interface is offered
 * (no DMA), which is all our firmware needs.
 */
import {
  FW_CFG_DIR_ENTRY_SIZE,
  FW_CFG_FILE_DIR,
  FW_CFG_FILE_FIRST,
  FW_CFG_ID,
  FW_CFG_MAX_FILE_PATH,
  FW_CFG_PORT_DATA,
  FW_CFG_PORT_SEL,
  FW_CFG_PORT_SIZE,
  FW_CFG_SIGNATURE,
} from '../../src/abi/fw-cfg.js';
import type { IoPortSpace } from '../../src/memory/io-ports.js';

/** The fw_cfg device: keyed blobs and named files. */
export class FwCfg {
  private items = new Map<number, Uint8Array>();
  private files: { name: string; key: number }[] = [];
  private selected = 0;
  private pos = 0;

  /** Creates fw_cfg with the signature and id items. */
  constructor() {
    this.items.set(FW_CFG_SIGNATURE, new TextEncoder().encode('QEMU'));
    this.items.set(FW_CFG_ID, le(1, 4));
  }

  /** Claims the I/O ports. */
  attach(io: IoPortSpace): void {
    io.map('fw_cfg', FW_CFG_PORT_SEL, FW_CFG_PORT_SIZE, {
      read: (off) => (off === FW_CFG_PORT_DATA - FW_CFG_PORT_SEL ? this.readByte() : 0),
      write: (off, _size, value) => {
        if (off === 0) this.select(value & 0xffff);
      },
      peek: (off) => {
        if (off !== FW_CFG_PORT_DATA - FW_CFG_PORT_SEL) return 0;
        return this.items.get(this.selected)?.[this.pos] ?? 0;
      },
    });
  }

  /** Sets a fixed-key item. */
  setItem(key: number, data: Uint8Array): void {
    this.items.set(key, data);
  }

  /** Adds or replaces a named file, keeping the directory sorted by name as QEMU does. */
  setFile(name: string, data: Uint8Array): void {
    if (name.length >= FW_CFG_MAX_FILE_PATH) throw new RangeError(`fw_cfg file name too long: ${name}`);
    let f = this.files.find((x) => x.name === name);
    if (!f) {
      f = { name, key: FW_CFG_FILE_FIRST + this.files.length };
      this.files.push(f);
    }
    this.items.set(f.key, data);
    this.rebuildDir();
  }

  private rebuildDir(): void {
    const sorted = [...this.files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const dir = new Uint8Array(4 + sorted.length * FW_CFG_DIR_ENTRY_SIZE);
    const dv = new DataView(dir.buffer);
    dv.setUint32(0, sorted.length, false);
    sorted.forEach((f, i) => {
      const o = 4 + i * FW_CFG_DIR_ENTRY_SIZE;
      dv.setUint32(o, this.items.get(f.key)!.length, false);
      dv.setUint16(o + 4, f.key, false);
      dir.set(new TextEncoder().encode(f.name), o + 8);
    });
    this.items.set(FW_CFG_FILE_DIR, dir);
  }

  private select(key: number): void {
    this.selected = key;
    this.pos = 0;
  }

  private readByte(): number {
    const item = this.items.get(this.selected);
    if (!item || this.pos >= item.length) return 0;
    return item[this.pos++]!;
  }
}

/** Little-endian encoding of a non-negative integer in `bytes` bytes. */
export function le(value: number, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let v = BigInt(value);
  for (let i = 0; i < bytes; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}
