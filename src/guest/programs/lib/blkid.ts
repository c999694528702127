/**
 * A small libblkid: identifies what a block device holds by reading its first page
 * through the device node (our ext4/xfs superblock, or a swap signature), lists the
 * devices /proc/partitions knows, and finds a device by UUID= or LABEL=, as mount,
 * swapon and findfs do.
 */
import { Errno, O_CLOEXEC, O_RDONLY, type SysCall, type Syscalls } from '../../kernel/index.js';
import { SFS_BLOCK_SIZE, decodeSuperblock, formatUuid } from '../../../abi/simplefs.js';
import { SWAP_PAGE_SIZE, decodeSwapHeader } from '../../../abi/swap.js';
import { readFileIfExists } from './userdb.js';

/** What a device was found to hold. */
export interface BlkidInfo {
  /** Device node path. */
  device: string;
  /** Content type. */
  type: 'ext4' | 'xfs' | 'swap';
  /** UUID as text. */
  uuid: string;
  /** Label ("" when none). */
  label: string;
}

/** Bytes read from each device: enough for the superblock and for the swap header page. */
const PROBE_BYTES = Math.max(SFS_BLOCK_SIZE, SWAP_PAGE_SIZE);

/** Probes one device node; undefined when it holds nothing we know or cannot be read. */
export function* probeDevice(sys: Syscalls, device: string): SysCall<BlkidInfo | undefined> {
  let fd: number;
  try {
    fd = yield* sys.open(device, O_RDONLY | O_CLOEXEC);
  } catch (e) {
    if (e instanceof Errno) return undefined;
    throw e;
  }
  let page: Uint8Array;
  try {
    page = yield* sys.pread(fd, PROBE_BYTES, 0);
  } catch (e) {
    if (e instanceof Errno) return undefined;
    throw e;
  } finally {
    sys.close(fd);
  }
  if (page.length < PROBE_BYTES) return undefined;
  const sb = decodeSuperblock(page);
  if (typeof sb !== 'string') return { device, type: sb.flavor, uuid: formatUuid(sb.uuid), label: sb.label };
  const swap = decodeSwapHeader(page);
  if (swap !== undefined) return { device, type: 'swap', uuid: swap.uuid, label: swap.label };
  return undefined;
}

/** Device nodes of every disk and partition in /proc/partitions, in its order. */
export function* listBlockDevices(sys: Syscalls): SysCall<string[]> {
  const text = (yield* readFileIfExists(sys, '/proc/partitions')) ?? '';
  const out: string[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length === 4 && /^\d+$/.test(f[0] ?? '')) out.push(`/dev/${f[3] ?? ''}`);
  }
  return out;
}

function unquote(s: string): string {
  return s.length >= 2 && (s[0] === '"' || s[0] === "'") && s[s.length - 1] === s[0] ? s.slice(1, -1) : s;
}

/** Resolves an fstab-style source ("UUID=...", "LABEL=...", or a path) to a device node path. */
export function* resolveSource(sys: Syscalls, spec: string): SysCall<string | undefined> {
  const m = /^(UUID|LABEL)=(.*)$/.exec(spec);
  if (m === null) return spec;
  const key = m[1] as 'UUID' | 'LABEL';
  const want = unquote(m[2] ?? '');
  for (const dev of yield* listBlockDevices(sys)) {
    const info = yield* probeDevice(sys, dev);
    if (info === undefined) continue;
    if (key === 'UUID' ? info.uuid.toLowerCase() === want.toLowerCase() : info.label === want) return dev;
  }
  return undefined;
}

/** One line of blkid(8) output. */
export function formatBlkid(info: BlkidInfo): string {
  const parts: string[] = [];
  if (info.label !== '') parts.push(`LABEL="${info.label}"`);
  parts.push(`UUID="${info.uuid}"`);
  if (info.type !== 'swap') parts.push(`BLOCK_SIZE="${SFS_BLOCK_SIZE}"`);
  parts.push(`TYPE="${info.type}"`);
  return `${info.device}: ${parts.join(' ')}`;
}
