/**
 * TypeScript types for the guest agent's interface, generated once from the 7.2 profile
 * schema (data/qga-7.2.ts) by a one-off script: one type per QAPI type, one arguments
 * interface per command, and QgaCommandMap tying each command to its arguments and
 * return type. Members keep their QAPI names ('buf-b64'). Integers are numbers, except
 * the wide ones (see wide.ts). Older profiles use subsets of these shapes: a handler may
 * return the 7.2 shape and members a profile lacks are left out of its reply.
 */
import type { QgaWideInt } from './wide.js';

/** QAPI struct GuestAgentCommandInfo. */
export interface GuestAgentCommandInfo {
  name: string;
  enabled: boolean;
  'success-response': boolean;
}

/** QAPI struct GuestAgentInfo. */
export interface GuestAgentInfo {
  version: string;
  supported_commands: GuestAgentCommandInfo[];
}

/** QAPI struct GuestFileRead. */
export interface GuestFileRead {
  count: number;
  'buf-b64': string;
  eof: boolean;
}

/** QAPI struct GuestFileWrite. */
export interface GuestFileWrite {
  count: number;
  eof: boolean;
}

/** QAPI struct GuestFileSeek. */
export interface GuestFileSeek {
  position: number;
  eof: boolean;
}

/** QAPI enum QGASeek. */
export type QGASeek = 'set' | 'cur' | 'end';

/** QAPI alternate GuestFileWhence: value (int) or name (QGASeek). */
export type GuestFileWhence = number | QGASeek;

/** QAPI enum GuestFsfreezeStatus. */
export type GuestFsfreezeStatus = 'thawed' | 'frozen';

/** QAPI struct GuestFilesystemTrimResult. */
export interface GuestFilesystemTrimResult {
  path: string;
  trimmed?: number;
  minimum?: number;
  error?: string;
}

/** QAPI struct GuestFilesystemTrimResponse. */
export interface GuestFilesystemTrimResponse {
  paths: GuestFilesystemTrimResult[];
}

/** QAPI enum GuestIpAddressType. */
export type GuestIpAddressType = 'ipv4' | 'ipv6';

/** QAPI struct GuestIpAddress. */
export interface GuestIpAddress {
  'ip-address': string;
  'ip-address-type': GuestIpAddressType;
  prefix: number;
}

/** QAPI struct GuestNetworkInterfaceStat. */
export interface GuestNetworkInterfaceStat {
  'rx-bytes': QgaWideInt;
  'rx-packets': QgaWideInt;
  'rx-errs': QgaWideInt;
  'rx-dropped': QgaWideInt;
  'tx-bytes': QgaWideInt;
  'tx-packets': QgaWideInt;
  'tx-errs': QgaWideInt;
  'tx-dropped': QgaWideInt;
}

/** QAPI struct GuestNetworkInterface. */
export interface GuestNetworkInterface {
  name: string;
  'hardware-address'?: string;
  'ip-addresses'?: GuestIpAddress[];
  statistics?: GuestNetworkInterfaceStat;
}

/** QAPI struct GuestLogicalProcessor. */
export interface GuestLogicalProcessor {
  'logical-id': number;
  online: boolean;
  'can-offline'?: boolean;
}

/** QAPI enum GuestDiskBusType. */
export type GuestDiskBusType = 'ide' | 'fdc' | 'scsi' | 'virtio' | 'xen' | 'usb' | 'uml' | 'sata' | 'sd' | 'unknown' | 'ieee1394' | 'ssa' | 'fibre' | 'raid' | 'iscsi' | 'sas' | 'mmc' | 'virtual' | 'file-backed-virtual' | 'nvme';

/** QAPI struct GuestPCIAddress. */
export interface GuestPCIAddress {
  domain: number;
  bus: number;
  slot: number;
  function: number;
}

/** QAPI struct GuestCCWAddress. */
export interface GuestCCWAddress {
  cssid: number;
  ssid: number;
  subchno: number;
  devno: number;
}

/** QAPI struct GuestDiskAddress. */
export interface GuestDiskAddress {
  'pci-controller': GuestPCIAddress;
  'bus-type': GuestDiskBusType;
  bus: number;
  target: number;
  unit: number;
  serial?: string;
  dev?: string;
  'ccw-address'?: GuestCCWAddress;
}

/** QAPI struct GuestFilesystemInfo. */
export interface GuestFilesystemInfo {
  name: string;
  mountpoint: string;
  type: string;
  'used-bytes'?: QgaWideInt;
  'total-bytes'?: QgaWideInt;
  disk: GuestDiskAddress[];
}

/** QAPI struct GuestMemoryBlock. */
export interface GuestMemoryBlock {
  'phys-index': QgaWideInt;
  online: boolean;
  'can-offline'?: boolean;
}

/** QAPI enum GuestMemoryBlockResponseType. */
export type GuestMemoryBlockResponseType = 'success' | 'not-found' | 'operation-not-supported' | 'operation-failed';

/** QAPI struct GuestMemoryBlockResponse. */
export interface GuestMemoryBlockResponse {
  'phys-index': QgaWideInt;
  response: GuestMemoryBlockResponseType;
  'error-code'?: number;
}

/** QAPI struct GuestMemoryBlockInfo. */
export interface GuestMemoryBlockInfo {
  size: QgaWideInt;
}

/** QAPI struct GuestExecStatus. */
export interface GuestExecStatus {
  exited: boolean;
  exitcode?: number;
  signal?: number;
  'out-data'?: string;
  'err-data'?: string;
  'out-truncated'?: boolean;
  'err-truncated'?: boolean;
}

/** QAPI struct GuestExec. */
export interface GuestExec {
  pid: number;
}

/** Arguments of a command that takes none. */
export type QgaNoArgs = Record<string, never>;

/** Arguments of guest-sync-delimited. */
export interface GuestSyncDelimitedArgs {
  id: QgaWideInt;
}

/** Arguments of guest-sync. */
export interface GuestSyncArgs {
  id: QgaWideInt;
}

/** Arguments of guest-set-time. */
export interface GuestSetTimeArgs {
  time?: QgaWideInt;
}

/** Arguments of guest-shutdown. */
export interface GuestShutdownArgs {
  mode?: string;
}

/** Arguments of guest-file-open. */
export interface GuestFileOpenArgs {
  path: string;
  mode?: string;
}

/** Arguments of guest-file-close. */
export interface GuestFileCloseArgs {
  handle: number;
}

/** Arguments of guest-file-read. */
export interface GuestFileReadArgs {
  handle: number;
  count?: number;
}

/** Arguments of guest-file-write. */
export interface GuestFileWriteArgs {
  handle: number;
  'buf-b64': string;
  count?: number;
}

/** Arguments of guest-file-seek. */
export interface GuestFileSeekArgs {
  handle: number;
  offset: number;
  whence: GuestFileWhence;
}

/** Arguments of guest-file-flush. */
export interface GuestFileFlushArgs {
  handle: number;
}

/** Arguments of guest-fsfreeze-freeze-list. */
export interface GuestFsfreezeFreezeListArgs {
  mountpoints?: string[];
}

/** Arguments of guest-fstrim. */
export interface GuestFstrimArgs {
  minimum?: number;
}

/** Arguments of guest-set-vcpus. */
export interface GuestSetVcpusArgs {
  vcpus: GuestLogicalProcessor[];
}

/** Arguments of guest-set-user-password. */
export interface GuestSetUserPasswordArgs {
  username: string;
  password: string;
  crypted: boolean;
}

/** Arguments of guest-set-memory-blocks. */
export interface GuestSetMemoryBlocksArgs {
  'mem-blks': GuestMemoryBlock[];
}

/** Arguments of guest-exec-status. */
export interface GuestExecStatusArgs {
  pid: number;
}

/** Arguments of guest-exec. */
export interface GuestExecArgs {
  path: string;
  arg?: string[];
  env?: string[];
  'input-data'?: string;
  'capture-output'?: boolean;
}

/** Every command: its arguments and what it returns (void: `{}` on the wire, or no reply at all). */
export interface QgaCommandMap {
  'guest-sync-delimited': { args: GuestSyncDelimitedArgs; returns: QgaWideInt };
  'guest-sync': { args: GuestSyncArgs; returns: QgaWideInt };
  'guest-ping': { args: QgaNoArgs; returns: void };
  'guest-get-time': { args: QgaNoArgs; returns: QgaWideInt };
  'guest-set-time': { args: GuestSetTimeArgs; returns: void };
  'guest-info': { args: QgaNoArgs; returns: GuestAgentInfo };
  'guest-shutdown': { args: GuestShutdownArgs; returns: void };
  'guest-file-open': { args: GuestFileOpenArgs; returns: number };
  'guest-file-close': { args: GuestFileCloseArgs; returns: void };
  'guest-file-read': { args: GuestFileReadArgs; returns: GuestFileRead };
  'guest-file-write': { args: GuestFileWriteArgs; returns: GuestFileWrite };
  'guest-file-seek': { args: GuestFileSeekArgs; returns: GuestFileSeek };
  'guest-file-flush': { args: GuestFileFlushArgs; returns: void };
  'guest-fsfreeze-status': { args: QgaNoArgs; returns: GuestFsfreezeStatus };
  'guest-fsfreeze-freeze': { args: QgaNoArgs; returns: number };
  'guest-fsfreeze-freeze-list': { args: GuestFsfreezeFreezeListArgs; returns: number };
  'guest-fsfreeze-thaw': { args: QgaNoArgs; returns: number };
  'guest-fstrim': { args: GuestFstrimArgs; returns: GuestFilesystemTrimResponse };
  'guest-suspend-disk': { args: QgaNoArgs; returns: void };
  'guest-suspend-ram': { args: QgaNoArgs; returns: void };
  'guest-suspend-hybrid': { args: QgaNoArgs; returns: void };
  'guest-network-get-interfaces': { args: QgaNoArgs; returns: GuestNetworkInterface[] };
  'guest-get-vcpus': { args: QgaNoArgs; returns: GuestLogicalProcessor[] };
  'guest-set-vcpus': { args: GuestSetVcpusArgs; returns: number };
  'guest-get-fsinfo': { args: QgaNoArgs; returns: GuestFilesystemInfo[] };
  'guest-set-user-password': { args: GuestSetUserPasswordArgs; returns: void };
  'guest-get-memory-blocks': { args: QgaNoArgs; returns: GuestMemoryBlock[] };
  'guest-set-memory-blocks': { args: GuestSetMemoryBlocksArgs; returns: GuestMemoryBlockResponse[] };
  'guest-get-memory-block-info': { args: QgaNoArgs; returns: GuestMemoryBlockInfo };
  'guest-exec-status': { args: GuestExecStatusArgs; returns: GuestExecStatus };
  'guest-exec': { args: GuestExecArgs; returns: GuestExec };
}

/** A command name of the 7.2 profile. */
export type QgaCommandName = keyof QgaCommandMap;

/** The arguments of command K. */
export type QgaCommandArgs<K extends QgaCommandName> = QgaCommandMap[K]['args'];

/** What command K returns. */
export type QgaCommandReturn<K extends QgaCommandName> = QgaCommandMap[K]['returns'];

/** Commands that send no reply on success ('success-response': false). */
export type QgaNoResponseCommandName = 'guest-shutdown' | 'guest-suspend-disk' | 'guest-suspend-ram' | 'guest-suspend-hybrid';
