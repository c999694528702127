/**
 * The guest kernel model's public API: the Kernel, the syscall interface programs get,
 * the contracts drivers and filesystems implement, and the Linux constants around them.
 */
export { Kernel, type KernelOptions, type DeviceNodeOptions } from './kernel.js';
export { SpawnedProcess, type HostSpawnOptions, type StdioSpec } from './host-spawn.js';
export { Syscalls, type SpawnOptions, type WaitResult, type UtsName } from './syscalls.js';
export { type PollFd, FIONBIO, FIOCLEX, FIONCLEX } from './syscalls-io.js';
export { Block, type Program, type ProgramMain, type SysCall, type WakeReason } from './block.js';
export { Errno, WouldBlock, errnoNumber, errnoCode, strerror, type ErrnoCode } from './errno.js';
export { WaitQueue, PollTable, type Waiter } from './waitqueue.js';
export { FasyncList } from './fasync.js';
export { ProcessExit, type ProcessInfo, type ProcessState } from './process.js';
export type { Fault } from './tasks.js';
export { type Cred, rootCred, userCred, isRoot, mayAccess } from './cred.js';
export { KernelClock, timespecFromNs, timespecToNs, type Timespec } from './time.js';
export { DeviceRegistry, type DeviceOps, type DeviceKind, type DeviceEntry } from './devices.js';
export { ProgramRegistry, BUILTIN_MARKER, builtinExecutable, type ResolvedProgram } from './programs.js';
export { HostReader, HostWriter } from './host-stdio.js';
export { Pipe, createPipe, pipeOfFile } from './pipe.js';
export { OpenFile, type FileOwner } from './vfs/file.js';
export { Mount, MountTable } from './vfs/mounts.js';
export { chainPath, type PathChain, type PathStep } from './vfs/namei.js';
export { Vfs, statOf, type VfsContext } from './vfs/vfs.js';
export { Tmpfs, TMPFS_MAGIC, type TmpfsOptions } from './vfs/tmpfs.js';
export { AnonFs } from './vfs/anonfs.js';
export { SynthFs, SynthDir, synthFile, synthLink, constFile, type SynthFile, type SynthLink, type SynthNode, type SynthFsOptions } from './vfs/synthfs.js';
export type { Inode, FileSystem, FileOps, FsCaller, DirEntry, SetAttr, Stat, StatFs, IoctlArg, FileSystemFactory, FsFactoryContext } from './vfs/types.js';
export * from './constants.js';
export * from './signals.js';
export { Sysfs, SYSFS_MAGIC, relativeSysfsLink, type SysfsAttr } from './sysfs/sysfs.js';
export { Procfs, PROC_SUPER_MAGIC, mountinfoLine, mountsLine, type ProcfsSources } from './procfs/procfs.js';
