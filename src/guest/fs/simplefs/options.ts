/**
 * Filesystem-specific mount options (mount(2)'s data string) for our ext4 and xfs, with
 * the options each accepts and how /proc/self/mountinfo shows them. Generic options
 * (ro, nosuid, noatime ...) never get here: mount(8) turns them into MS_* flags.
 */
import { Errno } from '../../kernel/errno.js';
import type { SfsFlavor } from '../../../abi/simplefs.js';

/** ext4's errors= behaviours. */
export type ErrorsBehaviour = 'continue' | 'remount-ro' | 'panic';

// Options accepted and otherwise without effect here (no journal, no quota, no xattrs).
const EXT4_FLAGS = new Set([
  'barrier', 'nobarrier', 'user_xattr', 'nouser_xattr', 'acl', 'noacl', 'auto_da_alloc', 'noauto_da_alloc', 'delalloc', 'nodelalloc',
  'journal_checksum', 'nojournal_checksum', 'dioread_nolock', 'dioread_lock', 'block_validity', 'noblock_validity', 'lazytime', 'nolazytime',
  'discard', 'nodiscard',
]);
const EXT4_VALUED = new Set(['errors', 'data', 'commit', 'barrier', 'inode_readahead_blks', 'stripe', 'resuid', 'resgid', 'max_batch_time', 'min_batch_time']);
const XFS_FLAGS = new Set([
  'attr2', 'noattr2', 'inode32', 'inode64', 'discard', 'nodiscard', 'noquota', 'largeio', 'nolargeio', 'wsync', 'swalloc', 'filestreams',
  'norecovery', 'nouuid', 'noalign', 'ikeep', 'noikeep', 'lazytime', 'nolazytime',
]);
const XFS_VALUED = new Set(['logbufs', 'logbsize', 'allocsize', 'sunit', 'swidth', 'logdev', 'rtdev']);

/** Parsed options of one mount. */
export class MountOptions {
  /** ext4 errors= (undefined: the default, not shown). */
  errors: ErrorsBehaviour | undefined;
  /** Online discard requested (accepted and shown; freed blocks are only discarded by FITRIM). */
  discard = false;
  /** ext4 data= mode if not the default "ordered". */
  dataMode: string | undefined;
  /** ext4 commit= interval if given. */
  commit: number | undefined;

  private constructor(readonly flavor: SfsFlavor) {}

  /** Parses mount(2) data; EINVAL for options the filesystem does not know, as ext4 and xfs refuse them. */
  static parse(flavor: SfsFlavor, data: string): MountOptions {
    const o = new MountOptions(flavor);
    for (const opt of data.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
      const eq = opt.indexOf('=');
      const key = eq < 0 ? opt : opt.slice(0, eq);
      const value = eq < 0 ? undefined : opt.slice(eq + 1);
      if (value === undefined ? !(flavor === 'ext4' ? EXT4_FLAGS : XFS_FLAGS).has(key) : !(flavor === 'ext4' ? EXT4_VALUED : XFS_VALUED).has(key)) {
        throw new Errno('EINVAL', `${flavor}: unrecognized mount option "${opt}"`);
      }
      if (key === 'discard') o.discard = true;
      else if (key === 'nodiscard') o.discard = false;
      else if (key === 'errors') {
        if (value !== 'continue' && value !== 'remount-ro' && value !== 'panic') throw new Errno('EINVAL', `ext4: bad errors= value "${value ?? ''}"`);
        o.errors = value;
      } else if (key === 'data') {
        if (value !== 'ordered' && value !== 'writeback' && value !== 'journal') throw new Errno('EINVAL', `ext4: bad data= value "${value ?? ''}"`);
        o.dataMode = value === 'ordered' ? undefined : value;
      } else if (key === 'commit') {
        if (value === undefined || !/^\d+$/.test(value)) throw new Errno('EINVAL');
        o.commit = Number(value);
      } else if (value !== undefined && value === '') {
        throw new Errno('EINVAL', `${flavor}: option "${key}" needs a value`);
      }
    }
    return o;
  }

  /** The super options mountinfo shows: ext4 lists what differs from defaults, xfs its usual set. */
  superOptions(): string {
    if (this.flavor === 'xfs') return ['rw', 'attr2', ...(this.discard ? ['discard'] : []), 'inode64', 'logbufs=8', 'logbsize=32k', 'noquota'].join(',');
    const o = ['rw'];
    if (this.discard) o.push('discard');
    if (this.errors !== undefined) o.push(`errors=${this.errors}`);
    if (this.commit !== undefined && this.commit !== 5) o.push(`commit=${this.commit}`);
    if (this.dataMode !== undefined) o.push(`data=${this.dataMode}`);
    return o.join(',');
  }
}
