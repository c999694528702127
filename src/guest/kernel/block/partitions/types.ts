/**
 * What partition parsers produce and how they ask for data: a parser is a generator that
 * yields the logical blocks it wants to read and is resumed with their contents (or
 * undefined when the read failed), so the block layer can run it on asynchronous I/O
 * without the kernel ever waiting.
 */

/** A read a parser needs: `count` logical blocks from `lba`. */
export interface ScanRead {
  /** First logical block. */
  lba: number;
  /** Logical blocks to read. */
  count: number;
}

/** One partition found in a table. Positions are in 512-byte sectors. */
export interface FoundPartition {
  /** Partition number (vda1 = 1). */
  number: number;
  /** First sector. */
  start: number;
  /** Length in sectors. */
  sectors: number;
  /** GPT partition name, or undefined (Linux's PARTNAME). */
  name?: string;
  /** PARTUUID: the GPT unique GUID, or "<disk signature>-<nn>" for DOS tables. */
  uuid: string;
  /** GPT type GUID, or the DOS type byte as two hex digits. */
  type: string;
}

/** A parsed table. */
export interface PartitionTable {
  /** Table kind, as blkid's PTTYPE names it. */
  kind: 'gpt' | 'dos';
  /** PTUUID: disk GUID, or the DOS disk signature as 8 hex digits. */
  uuid: string;
  /** Partitions in number order. */
  partitions: FoundPartition[];
  /** Complaints worth a kernel message (invalid alternate GPT, truncated partition). */
  warnings: string[];
}

/** A parser: yields reads, returns the table or undefined when there is none. */
export type PartitionScan = Generator<ScanRead, PartitionTable | undefined, Uint8Array | undefined>;

/** What a parser knows about the disk. */
export interface ScanDisk {
  /** Last addressable logical block. */
  lastLba: number;
  /** Logical block size in bytes. */
  blockSize: number;
  /** Honour the backup GPT when the primary is invalid (Linux's "gpt" boot option). */
  forceGpt: boolean;
}
