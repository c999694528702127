/**
 * glibc's utmp records on x86_64 (struct utmp, 384 bytes), the binary format of
 * /var/run/utmp that who(1), w(1) and qemu-ga's guest-get-users read.
 */

/** Bytes per record. */
export const UTMP_RECORD_SIZE = 384;
/** Where the login records live. */
export const UTMP_PATH = '/var/run/utmp';

/** ut_type values. */
export const UT_RUN_LVL = 1;
/** System boot time. */
export const UT_BOOT_TIME = 2;
/** A session's login process. */
export const UT_LOGIN_PROCESS = 6;
/** A logged-in user. */
export const UT_USER_PROCESS = 7;
/** A session that ended. */
export const UT_DEAD_PROCESS = 8;

/** One record. */
export interface UtmpRecord {
  /** ut_type. */
  type: number;
  /** Process id of the session leader. */
  pid: number;
  /** Terminal without "/dev/" ("tty1", "pts/0"). */
  line: string;
  /** Terminal suffix or inittab id. */
  id: string;
  /** Login name. */
  user: string;
  /** Remote host, or kernel release for boot records. */
  host: string;
  /** Login time, seconds since the epoch. */
  sec: number;
  /** Microseconds part. */
  usec: number;
}

// Field offsets of struct utmp on x86_64 (32-bit time fields, as glibc keeps them there).
const OFF = { type: 0, pid: 4, line: 8, id: 40, user: 44, host: 76, session: 336, sec: 340, usec: 344 };
const LEN = { line: 32, id: 4, user: 32, host: 256 };

const enc = new TextEncoder();
const dec = new TextDecoder();

function putString(buf: Uint8Array, off: number, len: number, s: string): void {
  buf.set(enc.encode(s).subarray(0, len), off);
}

function getString(buf: Uint8Array, off: number, len: number): string {
  const raw = buf.subarray(off, off + len);
  const nul = raw.indexOf(0);
  return dec.decode(nul < 0 ? raw : raw.subarray(0, nul));
}

/** Encodes one record. */
export function encodeUtmp(r: UtmpRecord): Uint8Array {
  const buf = new Uint8Array(UTMP_RECORD_SIZE);
  const dv = new DataView(buf.buffer);
  dv.setInt16(OFF.type, r.type, true);
  dv.setInt32(OFF.pid, r.pid, true);
  putString(buf, OFF.line, LEN.line, r.line);
  putString(buf, OFF.id, LEN.id, r.id);
  putString(buf, OFF.user, LEN.user, r.user);
  putString(buf, OFF.host, LEN.host, r.host);
  dv.setInt32(OFF.session, r.type === UT_USER_PROCESS ? r.pid : 0, true);
  dv.setInt32(OFF.sec, r.sec, true);
  dv.setInt32(OFF.usec, r.usec, true);
  return buf;
}

/** Decodes every whole record of a utmp file. */
export function decodeUtmp(data: Uint8Array): UtmpRecord[] {
  const out: UtmpRecord[] = [];
  for (let off = 0; off + UTMP_RECORD_SIZE <= data.length; off += UTMP_RECORD_SIZE) {
    const buf = data.subarray(off, off + UTMP_RECORD_SIZE);
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    out.push({
      type: dv.getInt16(OFF.type, true),
      pid: dv.getInt32(OFF.pid, true),
      line: getString(buf, OFF.line, LEN.line),
      id: getString(buf, OFF.id, LEN.id),
      user: getString(buf, OFF.user, LEN.user),
      host: getString(buf, OFF.host, LEN.host),
      sec: dv.getInt32(OFF.sec, true),
      usec: dv.getInt32(OFF.usec, true),
    });
  }
  return out;
}
