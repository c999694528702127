/**
 * The `null` backend: output vanishes, no input ever arrives. Like QEMU's, it counts as
 * open from the start, so a frontend sees a host that is attached but silent.
 */
import { Chardev } from './chardev.js';

/** A chardev that accepts and discards everything. */
export class NullChardev extends Chardev {
  /** Always "null". */
  override readonly backend = 'null';

  protected override async doOpen(): Promise<void> {
    this.hostConnected();
  }

  protected override async doClose(): Promise<void> {
    // Nothing held.
  }

  protected override hostWrite(): void {
    // Discarded by design.
  }

  protected override hostBuffered(): number {
    return 0;
  }
}
