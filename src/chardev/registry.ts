/**
 * The machine's chardevs by id, like QEMU's /chardevs container. Ids are checked
 * before anything is opened, so a duplicate never binds a socket or truncates a file
 * (QEMU opens first and only then fails to add the child).
 */
import type { Chardev } from './chardev.js';
import { ChardevError } from './errors.js';
import { createChardevFromSpec, parseChardevCompat, parseChardevOptions, type ChardevSpec } from './options.js';

/** QEMU's text when an id is taken in the /chardevs container. */
export function duplicateChardevMessage(id: string): string {
  return `attempt to add duplicate property '${id}' to object (type 'container')`;
}

/** Chardevs keyed by id, in creation order. */
export class ChardevRegistry {
  private readonly byId = new Map<string, Chardev>();

  /** Number of chardevs. */
  get size(): number {
    return this.byId.size;
  }

  /** Adds an existing chardev; throws QEMU's duplicate-property error if the id is taken. */
  add(chardev: Chardev): void {
    if (this.byId.has(chardev.id)) throw new ChardevError(duplicateChardevMessage(chardev.id));
    this.byId.set(chardev.id, chardev);
  }

  /** The chardev with this id, if any. */
  get(id: string): Chardev | undefined {
    return this.byId.get(id);
  }

  /** Whether the id is taken. */
  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** Forgets a chardev without closing it; returns it if it was there. */
  remove(id: string): Chardev | undefined {
    const chardev = this.byId.get(id);
    this.byId.delete(id);
    return chardev;
  }

  /** All chardevs in creation order. */
  list(): Chardev[] {
    return [...this.byId.values()];
  }

  /** Creates, opens and registers a chardev from a spec; on failure nothing is left behind. */
  async open(spec: ChardevSpec): Promise<Chardev> {
    if (this.byId.has(spec.id)) throw new ChardevError(duplicateChardevMessage(spec.id));
    const chardev = createChardevFromSpec(spec);
    // Claim the id before awaiting, so two concurrent opens cannot both pass the check.
    this.byId.set(spec.id, chardev);
    try {
      await chardev.open();
    } catch (err) {
      this.byId.delete(spec.id);
      await chardev.close();
      throw err;
    }
    return chardev;
  }

  /** `-chardev` string → opened, registered chardev. */
  openFromOptions(s: string): Promise<Chardev> {
    return this.open(parseChardevOptions(s));
  }

  /**
   * -serial/-qmp shorthand → opened, registered chardev; `chardev:ID` refers to an
   * existing one instead of creating a new one, as in QEMU.
   */
  async openFromCompat(label: string, filename: string): Promise<Chardev> {
    if (filename.startsWith('chardev:')) {
      const id = filename.slice('chardev:'.length);
      const existing = this.byId.get(id);
      if (existing === undefined) throw new ChardevError(`Chardev '${id}' does not exist`);
      return existing;
    }
    return this.open(parseChardevCompat(label, filename));
  }

  /** Closes and forgets every chardev. */
  async closeAll(): Promise<void> {
    const all = this.list();
    this.byId.clear();
    await Promise.all(all.map((c) => c.close()));
  }
}
