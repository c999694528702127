/**
 * A model of GLib's GHashTable bucket layout, for one visible effect: when a request
 * carries several members the command does not know, QEMU's input visitor reports the
 * first one left in its GHashTable of unvisited keys, in bucket order. Only the hashes
 * matter (keys are unique), so the table stores hashes and a key per slot.
 */

/** Which GLib: before 2.59 (`hash % prime`, rebuild on resize) or after (`hash * 11`, in place). */
export type GlibGeneration = 'legacy' | 'modern';

const MIN_SHIFT = 3;
const UNUSED = 0;
const TOMBSTONE = 1;
/** GLib's prime_mod table: the modulus for a table of 1 << shift buckets. */
const PRIME_MOD = [
  1, 2, 3, 7, 13, 31, 61, 127, 251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071, 262139, 524287, 1048573,
  2097143, 4194301, 8388593, 16777213, 33554393, 67108859, 134217689, 268435399, 536870909, 1073741789, 2147483647,
];

/** g_str_hash (djb2 over the bytes as signed chars). */
export function gStrHash(key: string): number {
  const bytes = new TextEncoder().encode(key);
  let h = 5381;
  for (const b of bytes) h = (Math.imul(h, 33) + (b >= 0x80 ? b - 0x100 : b)) >>> 0;
  return h;
}

/** A string-keyed GHashTable used as a set: insert, remove, iterate in bucket order. */
export class GHashModel {
  private hashes: number[] = [];
  private slotKeys: (string | undefined)[] = [];
  private size = 0;
  private mod = 0;
  private mask = 0;
  private nnodes = 0;
  private noccupied = 0;

  constructor(private readonly glib: GlibGeneration) {
    this.setShift(MIN_SHIFT);
    this.hashes = new Array<number>(this.size).fill(UNUSED);
    this.slotKeys = new Array<string | undefined>(this.size).fill(undefined);
  }

  /** g_hash_table_insert of a new key (duplicates are ignored, as for a QDict's keys). */
  insert(key: string): void {
    const { index, hash } = this.lookup(key);
    const old = this.hashes[index]!;
    if (old > TOMBSTONE) return;
    this.hashes[index] = hash;
    this.slotKeys[index] = key;
    this.nnodes++;
    if (old === UNUSED) {
      this.noccupied++;
      this.maybeResize();
    }
  }

  /** g_hash_table_remove; absent keys are a no-op. */
  remove(key: string): void {
    const { index } = this.lookup(key);
    if (this.hashes[index]! <= TOMBSTONE) return;
    this.hashes[index] = TOMBSTONE;
    this.slotKeys[index] = undefined;
    this.nnodes--;
    this.maybeResize();
  }

  /** Every key in g_hash_table_iter_next order. */
  keys(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.size; i++) if (this.hashes[i]! > TOMBSTONE) out.push(this.slotKeys[i]!);
    return out;
  }

  /** The key g_hash_table_iter_next returns first, if any is left. */
  first(): string | undefined {
    for (let i = 0; i < this.size; i++) if (this.hashes[i]! > TOMBSTONE) return this.slotKeys[i];
    return undefined;
  }

  private toIndex(hash: number): number {
    return this.glib === 'modern' ? (Math.imul(hash, 11) >>> 0) % this.mod : hash % this.mod;
  }

  private lookup(key: string): { index: number; hash: number } {
    let hash = gStrHash(key);
    if (hash <= TOMBSTONE) hash = 2;
    let index = this.toIndex(hash);
    let tombstone = -1;
    let step = 0;
    for (let h = this.hashes[index]!; h !== UNUSED; h = this.hashes[index]!) {
      if (h === hash && this.slotKeys[index] === key) return { index, hash };
      if (h === TOMBSTONE && tombstone < 0) tombstone = index;
      step++;
      index = (index + step) & this.mask;
    }
    return { index: tombstone >= 0 ? tombstone : index, hash };
  }

  private setShift(shift: number): void {
    this.size = 1 << shift;
    this.mod = PRIME_MOD[shift]!;
    this.mask = this.size - 1;
  }

  private setShiftFromSize(n: number): void {
    let shift = 0;
    for (let v = Math.trunc(n); v !== 0; v >>= 1) shift++;
    this.setShift(Math.max(shift, MIN_SHIFT));
  }

  private maybeResize(): void {
    const size = this.size;
    if ((size > this.nnodes * 4 && size > 1 << MIN_SHIFT) || size <= this.noccupied + Math.trunc(this.noccupied / 16)) {
      if (this.glib === 'modern') this.resizeInPlace();
      else this.rebuild();
      this.noccupied = this.nnodes;
    }
  }

  /** Old GLib: a fresh table, entries reinserted in old slot order. */
  private rebuild(): void {
    const oldHashes = this.hashes;
    const oldKeys = this.slotKeys;
    this.setShiftFromSize(this.nnodes * 2);
    this.hashes = new Array<number>(this.size).fill(UNUSED);
    this.slotKeys = new Array<string | undefined>(this.size).fill(undefined);
    for (let i = 0; i < oldHashes.length; i++) {
      const h = oldHashes[i]!;
      if (h <= TOMBSTONE) continue;
      let index = this.toIndex(h);
      for (let step = 1; this.hashes[index] !== UNUSED; step++) index = (index + step) & this.mask;
      this.hashes[index] = h;
      this.slotKeys[index] = oldKeys[i];
    }
  }

  /** GLib 2.59+: entries relocated in place, evicting whatever sits in their new slot. */
  private resizeInPlace(): void {
    const oldSize = this.size;
    this.setShiftFromSize(this.nnodes * 1.333);
    const span = Math.max(oldSize, this.size);
    while (this.hashes.length < span) {
      this.hashes.push(UNUSED);
      this.slotKeys.push(undefined);
    }
    const placed = new Uint8Array(span);
    for (let i = 0; i < oldSize; i++) {
      let h = this.hashes[i]!;
      if (h <= TOMBSTONE) {
        this.hashes[i] = UNUSED;
        continue;
      }
      if (placed[i]) continue;
      let key = this.slotKeys[i];
      this.hashes[i] = UNUSED;
      this.slotKeys[i] = undefined;
      for (;;) {
        let index = this.toIndex(h);
        for (let step = 1; placed[index]; step++) index = (index + step) & this.mask;
        placed[index] = 1;
        const replaced = this.hashes[index]!;
        const replacedKey = this.slotKeys[index];
        this.hashes[index] = h;
        this.slotKeys[index] = key;
        if (replaced <= TOMBSTONE) break;
        h = replaced;
        key = replacedKey;
      }
    }
    this.hashes.length = this.size;
    this.slotKeys.length = this.size;
  }
}
