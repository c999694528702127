/**
 * The machine's seeded pseudo-random generator (xoshiro128**, seeded through splitmix32).
 * Everything inside the machine that wants randomness draws from here, never Math.random.
 */

function splitmix32(state: number): [number, number] {
  state = (state + 0x9e3779b9) | 0;
  let z = state;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [state, (z ^ (z >>> 16)) >>> 0];
}

/** Deterministic PRNG; the same seed always yields the same sequence. */
export class Prng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** Seeds the generator; any 32-bit integer (or a string, hashed) is a valid seed. */
  constructor(seed: number | string = 1) {
    let st = typeof seed === 'string' ? hashString(seed) : seed | 0;
    const out: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [ns, v] = splitmix32(st);
      st = ns;
      out.push(v);
    }
    [this.s0, this.s1, this.s2, this.s3] = out as [number, number, number, number];
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Next unsigned 32-bit integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform float in [0, 1). */
  nextFloat(): number {
    return this.nextU32() / 0x1_0000_0000;
  }

  /** Uniform integer in [0, n) for n up to 2^32. */
  nextInt(n: number): number {
    if (n <= 0) throw new RangeError('nextInt needs n > 0');
    return Math.floor(this.nextFloat() * n);
  }

  /** Fills a buffer with pseudo-random bytes. */
  fill(buf: Uint8Array): Uint8Array {
    for (let i = 0; i < buf.length; i += 4) {
      const v = this.nextU32();
      for (let k = 0; k < 4 && i + k < buf.length; k++) buf[i + k] = (v >>> (8 * k)) & 0xff;
    }
    return buf;
  }

  /** An independent generator derived from this one (for a sub-component's own stream). */
  fork(): Prng {
    return new Prng(this.nextU32());
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** FNV-1a over UTF-16 code units: only used to turn a string seed into a number. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h | 0;
}
