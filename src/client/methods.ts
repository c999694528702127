/**
 * The typed client: one method per command of the 7.2 profile, generated once from its
 * schema by a one-off script. Method names are the command names in camelCase
 * (guest-file-open -> guestFileOpen); arguments and results use the types of
 * src/agent/schema/types.ts. Commands that send no reply on success take
 * QgaNoResponseOptions (see QgaClientBase.executeNoResponse).
 */
import type {
  GuestAgentInfo,
  GuestExec,
  GuestExecArgs,
  GuestExecStatus,
  GuestExecStatusArgs,
  GuestFileCloseArgs,
  GuestFileFlushArgs,
  GuestFileOpenArgs,
  GuestFileRead,
  GuestFileReadArgs,
  GuestFileSeek,
  GuestFileSeekArgs,
  GuestFileWrite,
  GuestFileWriteArgs,
  GuestFilesystemInfo,
  GuestFilesystemTrimResponse,
  GuestFsfreezeFreezeListArgs,
  GuestFsfreezeStatus,
  GuestFstrimArgs,
  GuestLogicalProcessor,
  GuestMemoryBlock,
  GuestMemoryBlockInfo,
  GuestMemoryBlockResponse,
  GuestNetworkInterface,
  GuestSetMemoryBlocksArgs,
  GuestSetTimeArgs,
  GuestSetUserPasswordArgs,
  GuestSetVcpusArgs,
  GuestShutdownArgs,
  GuestSyncArgs,
  GuestSyncDelimitedArgs,
} from '../agent/schema/types.js';
import type { QgaWideInt } from '../agent/schema/wide.js';
import { QgaClientBase, type QgaCallOptions, type QgaNoResponseOptions } from './client.js';

/** A connected guest agent client with a typed method per command. */
export class QgaClient extends QgaClientBase {
  /** guest-sync-delimited. */
  guestSyncDelimited(args: GuestSyncDelimitedArgs, options?: QgaCallOptions): Promise<QgaWideInt> {
    return this.call('guest-sync-delimited', args, options);
  }

  /** guest-sync. */
  guestSync(args: GuestSyncArgs, options?: QgaCallOptions): Promise<QgaWideInt> {
    return this.call('guest-sync', args, options);
  }

  /** guest-ping. */
  guestPing(options?: QgaCallOptions): Promise<void> {
    return this.call('guest-ping', undefined, options);
  }

  /** guest-get-time. */
  guestGetTime(options?: QgaCallOptions): Promise<QgaWideInt> {
    return this.call('guest-get-time', undefined, options);
  }

  /** guest-set-time. */
  guestSetTime(args?: GuestSetTimeArgs, options?: QgaCallOptions): Promise<void> {
    return this.call('guest-set-time', args, options);
  }

  /** guest-info. */
  guestInfo(options?: QgaCallOptions): Promise<GuestAgentInfo> {
    return this.call('guest-info', undefined, options);
  }

  /** guest-shutdown: no reply on success; completes as QgaNoResponseOptions describes. */
  guestShutdown(args?: GuestShutdownArgs, options?: QgaNoResponseOptions): Promise<void> {
    return this.executeNoResponse('guest-shutdown', args, options);
  }

  /** guest-file-open. */
  guestFileOpen(args: GuestFileOpenArgs, options?: QgaCallOptions): Promise<number> {
    return this.call('guest-file-open', args, options);
  }

  /** guest-file-close. */
  guestFileClose(args: GuestFileCloseArgs, options?: QgaCallOptions): Promise<void> {
    return this.call('guest-file-close', args, options);
  }

  /** guest-file-read. */
  guestFileRead(args: GuestFileReadArgs, options?: QgaCallOptions): Promise<GuestFileRead> {
    return this.call('guest-file-read', args, options);
  }

  /** guest-file-write. */
  guestFileWrite(args: GuestFileWriteArgs, options?: QgaCallOptions): Promise<GuestFileWrite> {
    return this.call('guest-file-write', args, options);
  }

  /** guest-file-seek. */
  guestFileSeek(args: GuestFileSeekArgs, options?: QgaCallOptions): Promise<GuestFileSeek> {
    return this.call('guest-file-seek', args, options);
  }

  /** guest-file-flush. */
  guestFileFlush(args: GuestFileFlushArgs, options?: QgaCallOptions): Promise<void> {
    return this.call('guest-file-flush', args, options);
  }

  /** guest-fsfreeze-status. */
  guestFsfreezeStatus(options?: QgaCallOptions): Promise<GuestFsfreezeStatus> {
    return this.call('guest-fsfreeze-status', undefined, options);
  }

  /** guest-fsfreeze-freeze. */
  guestFsfreezeFreeze(options?: QgaCallOptions): Promise<number> {
    return this.call('guest-fsfreeze-freeze', undefined, options);
  }

  /** guest-fsfreeze-freeze-list. */
  guestFsfreezeFreezeList(args?: GuestFsfreezeFreezeListArgs, options?: QgaCallOptions): Promise<number> {
    return this.call('guest-fsfreeze-freeze-list', args, options);
  }

  /** guest-fsfreeze-thaw. */
  guestFsfreezeThaw(options?: QgaCallOptions): Promise<number> {
    return this.call('guest-fsfreeze-thaw', undefined, options);
  }

  /** guest-fstrim. */
  guestFstrim(args?: GuestFstrimArgs, options?: QgaCallOptions): Promise<GuestFilesystemTrimResponse> {
    return this.call('guest-fstrim', args, options);
  }

  /** guest-suspend-disk: no reply on success; completes as QgaNoResponseOptions describes. */
  guestSuspendDisk(options?: QgaNoResponseOptions): Promise<void> {
    return this.executeNoResponse('guest-suspend-disk', undefined, options);
  }

  /** guest-suspend-ram: no reply on success; completes as QgaNoResponseOptions describes. */
  guestSuspendRam(options?: QgaNoResponseOptions): Promise<void> {
    return this.executeNoResponse('guest-suspend-ram', undefined, options);
  }

  /** guest-suspend-hybrid: no reply on success; completes as QgaNoResponseOptions describes. */
  guestSuspendHybrid(options?: QgaNoResponseOptions): Promise<void> {
    return this.executeNoResponse('guest-suspend-hybrid', undefined, options);
  }

  /** guest-network-get-interfaces. */
  guestNetworkGetInterfaces(options?: QgaCallOptions): Promise<GuestNetworkInterface[]> {
    return this.call('guest-network-get-interfaces', undefined, options);
  }

  /** guest-get-vcpus. */
  guestGetVcpus(options?: QgaCallOptions): Promise<GuestLogicalProcessor[]> {
    return this.call('guest-get-vcpus', undefined, options);
  }

  /** guest-set-vcpus. */
  guestSetVcpus(args: GuestSetVcpusArgs, options?: QgaCallOptions): Promise<number> {
    return this.call('guest-set-vcpus', args, options);
  }

  /** guest-get-fsinfo. */
  guestGetFsinfo(options?: QgaCallOptions): Promise<GuestFilesystemInfo[]> {
    return this.call('guest-get-fsinfo', undefined, options);
  }

  /** guest-set-user-password. */
  guestSetUserPassword(args: GuestSetUserPasswordArgs, options?: QgaCallOptions): Promise<void> {
    return this.call('guest-set-user-password', args, options);
  }

  /** guest-get-memory-blocks. */
  guestGetMemoryBlocks(options?: QgaCallOptions): Promise<GuestMemoryBlock[]> {
    return this.call('guest-get-memory-blocks', undefined, options);
  }

  /** guest-set-memory-blocks. */
  guestSetMemoryBlocks(args: GuestSetMemoryBlocksArgs, options?: QgaCallOptions): Promise<GuestMemoryBlockResponse[]> {
    return this.call('guest-set-memory-blocks', args, options);
  }

  /** guest-get-memory-block-info. */
  guestGetMemoryBlockInfo(options?: QgaCallOptions): Promise<GuestMemoryBlockInfo> {
    return this.call('guest-get-memory-block-info', undefined, options);
  }

  /** guest-exec-status. */
  guestExecStatus(args: GuestExecStatusArgs, options?: QgaCallOptions): Promise<GuestExecStatus> {
    return this.call('guest-exec-status', args, options);
  }

  /** guest-exec. */
  guestExec(args: GuestExecArgs, options?: QgaCallOptions): Promise<GuestExec> {
    return this.call('guest-exec', args, options);
  }

  /**
   * Shuts the guest down as libvirt's agent mode does (guest-shutdown, `powerdown` by
   * default); with the `qmp` option it resolves on the SHUTDOWN event (RESET for `reboot`).
   */
  shutdown(mode: 'powerdown' | 'halt' | 'reboot' = 'powerdown', options?: QgaNoResponseOptions): Promise<void> {
    return this.guestShutdown({ mode }, options);
  }

  /** Suspends the guest (guest-suspend-<target>); with `qmp`, resolves on SUSPEND (SUSPEND_DISK for disk). */
  suspend(target: 'ram' | 'disk' | 'hybrid', options?: QgaNoResponseOptions): Promise<void> {
    if (target === 'ram') return this.guestSuspendRam(options);
    if (target === 'disk') return this.guestSuspendDisk(options);
    return this.guestSuspendHybrid(options);
  }
}
