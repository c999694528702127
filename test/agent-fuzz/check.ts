/**
 * What must hold after any input once 0xFF + guest-sync-delimited follows it: the agent
 * answered, its last bytes are the sentinel reply for our id, and everything before is
 * whole reply lines (a JSON object each, ASCII only, 0xFF only in front of a
 * guest-sync-delimited reply).
 */
import { Buffer } from 'node:buffer';

/** The resync sent after every input. */
export function resync(id: number): Buffer {
  return Buffer.from(`\xff{"execute":"guest-sync-delimited","arguments":{"id":${id}}}`, 'latin1');
}

/** Checks `out` (all replies to input + resync(id)); returns what is wrong, or undefined. */
export function checkReplies(out: Buffer, id: number, legacy: boolean): string | undefined {
  const tail = Buffer.from(`\xff{"return": ${id}}\n`, 'latin1');
  if (out.length < tail.length || !out.subarray(out.length - tail.length).equals(tail)) return 'the resync reply is not the last thing sent';
  const text = out.subarray(0, out.length - tail.length).toString('latin1');
  if (text === '') return undefined;
  if (!text.endsWith('\n')) return 'a reply is not newline-terminated';
  for (let line of text.slice(0, -1).split('\n')) {
    if (line.startsWith('\xff')) line = line.slice(1);
    if (/[^\x20-\x7e]/.test(line)) return `non-ASCII or control bytes in a reply: ${JSON.stringify(line.slice(0, 200))}`;
    // QEMU prints infinite doubles (an id of 1e400) as inf, which JSON.parse does not take.
    const json = line.replace(/(?<=(?:[:,] |\[))-?inf(?=[,\]}])/g, '0');
    let v: unknown;
    try {
      v = JSON.parse(json);
    } catch {
      return `a reply is not JSON: ${JSON.stringify(line.slice(0, 200))}`;
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return `a reply is not an object: ${line.slice(0, 200)}`;
    const keys = Object.keys(v);
    // 2.5 sends back an object with "error" as it came (its relay quirk), so any keys go there.
    if (legacy ? !keys.includes('error') && !keys.includes('return') : keys.some((k) => k !== 'return' && k !== 'error' && k !== 'id')) {
      return `unexpected reply members: ${line.slice(0, 200)}`;
    }
    const err = (v as { error?: unknown }).error;
    if (!legacy && err !== undefined) {
      const e = err as { class?: unknown; desc?: unknown };
      if (typeof e.class !== 'string' || typeof e.desc !== 'string' || Object.keys(e).length !== 2) return `malformed error: ${line.slice(0, 200)}`;
    }
  }
  return undefined;
}

/** The input as a short printable form for failure messages (hex beyond 400 bytes). */
export function showInput(b: Buffer): string {
  const head = b.subarray(0, 400);
  return `${b.length} bytes: ${JSON.stringify(head.toString('latin1'))}${b.length > 400 ? ' ...' : ''}\n  hex: ${head.toString('hex')}`;
}
