/**
 * QEMU's option-string syntax (QemuOpts): `[type,]key=value,key2=value2`, where `,,`
 * stands for a literal comma and a bare `key` means `key=on`. Shared by -chardev,
 * -device, -machine, -drive, -global and friends so they all read the same way.
 */

/** A parsed option string: an optional implied first value plus ordered key/value pairs. */
export interface QemuOpts {
  /** The leading value without `=` when an implied key is allowed (e.g. the chardev backend). */
  implied?: string;
  /** Key/value pairs in the order written; later duplicates override earlier ones in `get`. */
  pairs: [string, string][];
}

/** Error thrown for malformed option strings, worded like QEMU's. */
export class QemuOptsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QemuOptsError';
  }
}

/** Splits on single commas, turning `,,` into a literal comma. */
export function splitQemuOpts(s: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === ',') {
      if (s[i + 1] === ',') {
        cur += ',';
        i++;
      } else {
        parts.push(cur);
        cur = '';
      }
    } else cur += c;
  }
  parts.push(cur);
  return parts;
}

/**
 * Parses `s`. When `impliedKey` is given, a first element without `=` is the implied
 * value (e.g. `socket` in `-chardev socket,id=x`). A bare later `key` becomes `key=on`,
 * and `nokey` is left to the caller (QEMU only accepts it for a few legacy flags).
 */
export function parseQemuOpts(s: string, impliedKey?: string): QemuOpts {
  const parts = splitQemuOpts(s);
  const out: QemuOpts = { pairs: [] };
  parts.forEach((p, i) => {
    if (p === '') {
      if (i === parts.length - 1 && i > 0) return; // trailing comma, as QEMU tolerates
      throw new QemuOptsError(`Invalid parameter ''`);
    }
    const eq = p.indexOf('=');
    if (eq < 0) {
      if (i === 0 && impliedKey !== undefined) out.implied = p;
      else out.pairs.push([p, 'on']);
    } else {
      out.pairs.push([p.slice(0, eq), p.slice(eq + 1)]);
    }
  });
  return out;
}

/** Typed reader over parsed options that remembers which keys were consumed. */
export class OptsReader {
  private used = new Set<string>();
  private readonly map: Map<string, string>;
  /** What the options describe, for messages ("chardev", "device 'virtio-serial-pci'"). */
  readonly what: string;

  /** Wraps parsed options. */
  constructor(opts: QemuOpts, what: string) {
    this.map = new Map(opts.pairs);
    this.what = what;
  }

  /** Keys present. */
  keys(): string[] {
    return [...this.map.keys()];
  }

  /** A string value, if present. */
  str(key: string): string | undefined {
    this.used.add(key);
    return this.map.get(key);
  }

  /** A required string value. */
  required(key: string): string {
    const v = this.str(key);
    if (v === undefined) throw new QemuOptsError(`Parameter '${key}' is missing`);
    return v;
  }

  /** A boolean: on/off/yes/no/true/false, as QEMU accepts. */
  bool(key: string, dflt: boolean): boolean {
    const v = this.str(key);
    if (v === undefined) return dflt;
    if (v === 'on' || v === 'yes' || v === 'true' || v === 'y') return true;
    if (v === 'off' || v === 'no' || v === 'false' || v === 'n') return false;
    throw new QemuOptsError(`Parameter '${key}' expects 'on' or 'off'`);
  }

  /** An unsigned integer in decimal, 0x hex or 0 octal, as QEMU's number parser accepts. */
  uint(key: string, dflt: number): number {
    const v = this.str(key);
    if (v === undefined) return dflt;
    const n = parseQemuNumber(v);
    if (n === undefined) throw new QemuOptsError(`Parameter '${key}' expects a non-negative number below 2^64`);
    return n;
  }

  /** A size with an optional K/M/G/T suffix (binary units, as QEMU's size parser). */
  size(key: string, dflt: number): number {
    const v = this.str(key);
    if (v === undefined) return dflt;
    const n = parseQemuSize(v);
    if (n === undefined) throw new QemuOptsError(`Parameter '${key}' expects a non-negative number below 2^64`);
    return n;
  }

  /** Throws for the first key nobody asked for, as QEMU does for unknown properties. */
  rejectUnknown(): void {
    for (const k of this.map.keys()) {
      if (!this.used.has(k)) throw new QemuOptsError(`Invalid parameter '${k}'`);
    }
  }
}

/** Parses decimal, 0x-hex or 0-octal non-negative integers; undefined when malformed. */
export function parseQemuNumber(v: string): number | undefined {
  let n: number;
  if (/^0x[0-9a-f]+$/i.test(v)) n = parseInt(v.slice(2), 16);
  else if (/^0[0-7]+$/.test(v)) n = parseInt(v.slice(1), 8);
  else if (/^[0-9]+$/.test(v)) n = parseInt(v, 10);
  else return undefined;
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Parses sizes like `2G`, `512M`, `4096`, `1.5G`; a bare number means bytes. */
export function parseQemuSize(v: string, defaultUnit = 1): number | undefined {
  const m = /^([0-9]+(?:\.[0-9]+)?)([bkmgtpe]?)$/i.exec(v.trim());
  if (!m) return undefined;
  const units: Record<string, number> = { '': defaultUnit, b: 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50, e: 2 ** 60 };
  const n = Math.round(parseFloat(m[1]!) * units[m[2]!.toLowerCase()]!);
  return Number.isSafeInteger(n) ? n : undefined;
}
