/**
 * QEMU's dictionary (QDict). Its iteration order is visible on the wire — every JSON
 * object QEMU prints walks the dict — and it is not insertion order: QDict is a fixed
 * 512-bucket hash table walked bucket by bucket, each bucket a list with the newest entry
 * at its head. Reproducing the order byte for byte means reproducing that table.
 */
import type { QValue } from './value.js';
import { qemuStringToBytes } from './utf8.js';

/** QDICT_BUCKET_MAX: the table never grows, so the order depends on nothing but the keys. */
export const QDICT_BUCKET_COUNT = 512;

/** tdb_hash over the key's bytes as QEMU holds them (uint32 arithmetic throughout). */
export function tdbHash(key: string): number {
  let ascii = true;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c === 0 || c >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    let v = Math.imul(0x238f13af, key.length) >>> 0;
    for (let i = 0; i < key.length; i++) v = (v + (key.charCodeAt(i) << ((i * 5) % 24))) >>> 0;
    return (Math.imul(1103515243, v) + 12345) >>> 0;
  }
  const bytes = qemuStringToBytes(key);
  let v = Math.imul(0x238f13af, bytes.length) >>> 0;
  for (let i = 0; i < bytes.length; i++) v = (v + (bytes[i]! << ((i * 5) % 24))) >>> 0;
  return (Math.imul(1103515243, v) + 12345) >>> 0;
}

/** The bucket a key lands in; iteration visits buckets in ascending order. */
export function qdictBucket(key: string): number {
  return tdbHash(key) % QDICT_BUCKET_COUNT;
}

interface Entry {
  readonly key: string;
  value: QValue;
  readonly bucket: number;
  /** Insertion sequence: later entries come first within their bucket. */
  readonly seq: number;
}

/** A QDict: Map-like, but keys(), entries() and iteration follow QEMU's order. */
export class QDict implements Iterable<[string, QValue]> {
  private readonly map = new Map<string, Entry>();
  private nextSeq = 0;
  private ordered: Entry[] | null = null;

  /** Number of members (qdict_size). */
  get size(): number {
    return this.map.size;
  }

  /** qdict_get: the value, or undefined when absent. */
  get(key: string): QValue | undefined {
    return this.map.get(key)?.value;
  }

  /** qdict_haskey. */
  has(key: string): boolean {
    return this.map.has(key);
  }

  /**
   * qdict_put_obj: a new key goes to the head of its bucket; an existing key keeps its
   * place and only its value changes.
   */
  set(key: string, value: QValue): this {
    const e = this.map.get(key);
    if (e) {
      e.value = value;
      return this;
    }
    this.map.set(key, { key, value, bucket: qdictBucket(key), seq: this.nextSeq++ });
    this.ordered = null;
    return this;
  }

  /** qdict_del; true when the key was present. Re-adding it later puts it at its bucket's head. */
  delete(key: string): boolean {
    if (!this.map.delete(key)) return false;
    this.ordered = null;
    return true;
  }

  /** Keys in QEMU's order (a snapshot). */
  keys(): string[] {
    return this.order().map((e) => e.key);
  }

  /** Values in QEMU's order (a snapshot). */
  values(): QValue[] {
    return this.order().map((e) => e.value);
  }

  /** [key, value] pairs in QEMU's order (a snapshot). */
  entries(): [string, QValue][] {
    return this.order().map((e) => [e.key, e.value]);
  }

  /** Calls fn for each member in QEMU's order, without building pair arrays. */
  forEach(fn: (value: QValue, key: string) => void): void {
    for (const e of this.order()) fn(e.value, e.key);
  }

  /** Iterates [key, value] in QEMU's order. */
  [Symbol.iterator](): Iterator<[string, QValue]> {
    return this.entries()[Symbol.iterator]();
  }

  private order(): Entry[] {
    if (this.ordered === null) {
      this.ordered = [...this.map.values()].sort((a, b) => a.bucket - b.bucket || b.seq - a.seq);
    }
    return this.ordered;
  }
}
