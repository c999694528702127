/** isa-debugcon: bytes written to port 0x402 become 'firmware' trace lines, one per newline. */
import { DEBUGCON_PORT } from '../../src/abi/fw-cfg.js';
import type { IoPortSpace } from '../../src/memory/io-ports.js';

/** Longest line kept before it is flushed anyway, so a runaway writer cannot grow memory. */
export const DEBUGCON_MAX_LINE = 1024;

/** The debug console; `onLine` receives each completed line. */
export class DebugCon {
  private line: number[] = [];
  /** Every line written so far (kept for `info firmware`-style inspection and tests). */
  readonly lines: string[] = [];

  /** Claims the port. */
  constructor(
    io: IoPortSpace,
    private readonly onLine: (line: string) => void,
  ) {
    io.map('isa-debugcon', DEBUGCON_PORT, 1, {
      read: () => 0xe9, // QEMU's debugcon answers its readback value so probes see it present
      write: (_o, _s, v) => this.byte(v & 0xff),
    });
  }

  private byte(b: number): void {
    if (b === 0x0a || this.line.length >= DEBUGCON_MAX_LINE) {
      const s = String.fromCharCode(...this.line);
      this.line = [];
      this.lines.push(s);
      this.onLine(s);
      if (b === 0x0a) return;
    }
    this.line.push(b);
  }
}
