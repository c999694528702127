/**
 * One virtio-blk request (VIRTIO 1.2 §5.2.6): a device-readable header (type, ioprio, sector)
 * and data, then device-writable data and a trailing status byte. Checks and outcomes follow
 * QEMU's virtio_blk_handle_request: a chain without room for the headers breaks the device
 * (NEEDS_RESET), a request outside the disk or misaligned completes with IOERR, an unknown
 * type or a malformed discard with UNSUPP. Data moves in bounded chunks, so a huge buffer
 * never becomes a huge allocation.
 */
import {
  VIRTIO_BLK_DWZ_FLAGS,
  VIRTIO_BLK_DWZ_NUM_SECTORS,
  VIRTIO_BLK_DWZ_SECTOR,
  VIRTIO_BLK_DWZ_SEGMENT_SIZE,
  VIRTIO_BLK_ID_BYTES,
  VIRTIO_BLK_INHDR_SIZE,
  VIRTIO_BLK_OUTHDR_SECTOR,
  VIRTIO_BLK_OUTHDR_SIZE,
  VIRTIO_BLK_OUTHDR_TYPE,
  VIRTIO_BLK_SECTOR_SIZE,
  VIRTIO_BLK_S_IOERR,
  VIRTIO_BLK_S_OK,
  VIRTIO_BLK_S_UNSUPP,
  VIRTIO_BLK_T_BARRIER,
  VIRTIO_BLK_T_DISCARD,
  VIRTIO_BLK_T_FLUSH,
  VIRTIO_BLK_T_GET_ID,
  VIRTIO_BLK_T_IN,
  VIRTIO_BLK_T_OUT,
  VIRTIO_BLK_T_WRITE_ZEROES,
  VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP,
} from '../../src/abi/virtio-blk.js';
import type { AddressSpace } from '../../src/memory/address-space.js';
import type { BlockBackend, BlockResult } from '../block/backend.js';
import { ChainReader, ChainWriter, segmentsLength, type DescriptorChain } from '../virtio/chain.js';

/** QEMU's BDRV_REQUEST_MAX_SECTORS: the largest request (and discard) the block layer takes. */
export const VIRTIO_BLK_MAX_REQUEST_SECTORS = 0x3f_ffff;
/** Bytes moved between guest memory and the image per step. */
export const VIRTIO_BLK_IO_CHUNK_SECTORS = 2048;

/** QEMU's virtio_error texts for chains too short for the headers. */
export const VIRTIO_BLK_ERR = {
  /** No device-readable or no device-writable descriptor. */
  missingHeaders: 'virtio-blk missing headers',
  /** Fewer than 16 device-readable bytes. */
  outhdrTooShort: 'virtio-blk request outhdr too short',
  /** Last device-writable descriptor has no room for the status byte. */
  inhdrTooShort: 'virtio-blk request inhdr too short',
  /** A discard/write-zeroes request whose segment is cut short. */
  dwzTooShort: 'virtio-blk discard/write_zeroes header too short',
} as const;

/** What a request needs from its device. */
export interface BlkRequestContext {
  /** Guest memory. */
  readonly mem: AddressSpace;
  /** The drive. */
  readonly backend: BlockBackend;
  /** GET_ID answer (the device serial, possibly empty). */
  readonly serial: string;
  /** Logical block size: sectors and lengths must be multiples of it. */
  readonly blockSize: number;
  /** DISCARD offered, and its limit. */
  readonly maxDiscardSectors: number | undefined;
  /** WRITE_ZEROES offered, and its limit. */
  readonly maxWriteZeroesSectors: number | undefined;
}

/** How a request ended. */
export type BlkOutcome =
  | { kind: 'done'; status: number; usedLen: number; what: string }
  | { kind: 'broken'; message: string };

/** Status name for traces. */
export function blkStatusName(status: number): string {
  return status === VIRTIO_BLK_S_OK ? 'OK' : status === VIRTIO_BLK_S_IOERR ? 'IOERR' : status === VIRTIO_BLK_S_UNSUPP ? 'UNSUPP' : `status ${status}`;
}

/** Handles one chain; the caller pushes it (done) or breaks the device (broken). */
export function handleBlkRequest(ctx: BlkRequestContext, chain: DescriptorChain): BlkOutcome {
  const { mem } = ctx;
  if (chain.readable.length < 1 || chain.writable.length < 1) return { kind: 'broken', message: VIRTIO_BLK_ERR.missingHeaders };
  const reader = new ChainReader(mem, chain.readable);
  if (reader.total < VIRTIO_BLK_OUTHDR_SIZE) return { kind: 'broken', message: VIRTIO_BLK_ERR.outhdrTooShort };
  const last = chain.writable[chain.writable.length - 1]!;
  if (last.len < VIRTIO_BLK_INHDR_SIZE) return { kind: 'broken', message: VIRTIO_BLK_ERR.inhdrTooShort };
  const inTotal = segmentsLength(chain.writable);
  const hdr = new DataView(reader.read(VIRTIO_BLK_OUTHDR_SIZE).buffer);
  const type = hdr.getUint32(VIRTIO_BLK_OUTHDR_TYPE, true);
  const sector = Number(hdr.getBigUint64(VIRTIO_BLK_OUTHDR_SECTOR, true));
  // Status goes in the very last writable byte; data-in uses what comes before it.
  const dataIn = new ChainWriter(mem, chain.writable);
  const dataInRoom = inTotal - VIRTIO_BLK_INHDR_SIZE;

  const finish = (status: number, what: string): BlkOutcome => {
    mem.write(last.addr + last.len - VIRTIO_BLK_INHDR_SIZE, 1, status);
    return { kind: 'done', status, usedLen: inTotal, what };
  };

  // The direction bit and the legacy barrier flag are masked off, as QEMU does.
  switch ((type & ~(VIRTIO_BLK_T_OUT | VIRTIO_BLK_T_BARRIER)) >>> 0) {
    case VIRTIO_BLK_T_IN: {
      const isWrite = (type & VIRTIO_BLK_T_OUT) !== 0;
      const bytes = isWrite ? reader.remaining : dataInRoom;
      const what = `${isWrite ? 'OUT' : 'IN'} sector ${sector} bytes ${bytes}`;
      if (!rangeOk(ctx, sector, bytes)) return finish(VIRTIO_BLK_S_IOERR, what);
      const status = isWrite ? copyOut(ctx, reader, sector, bytes) : copyIn(ctx, dataIn, sector, bytes);
      return finish(status, what);
    }
    case VIRTIO_BLK_T_FLUSH:
      return finish(ctx.backend.flush().ok ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR, 'FLUSH');
    case VIRTIO_BLK_T_GET_ID: {
      // NUL-terminated only when shorter than the 20-byte field (and the buffer).
      const id = new TextEncoder().encode(ctx.serial);
      const n = Math.min(id.length + 1, dataInRoom, VIRTIO_BLK_ID_BYTES);
      const out = new Uint8Array(n);
      out.set(id.subarray(0, n));
      dataIn.write(out);
      return finish(VIRTIO_BLK_S_OK, 'GET_ID');
    }
    case VIRTIO_BLK_T_DISCARD & ~VIRTIO_BLK_T_OUT:
    case VIRTIO_BLK_T_WRITE_ZEROES & ~VIRTIO_BLK_T_OUT: {
      const zeroes = (type & ~VIRTIO_BLK_T_BARRIER) >>> 0 === VIRTIO_BLK_T_WRITE_ZEROES;
      const name = zeroes ? 'WRITE_ZEROES' : 'DISCARD';
      const max = zeroes ? ctx.maxWriteZeroesSectors : ctx.maxDiscardSectors;
      // Unoffered, a read-direction variant, or more than the one segment max_*_seg allows.
      if (max === undefined || !(type & VIRTIO_BLK_T_OUT) || reader.remaining > VIRTIO_BLK_DWZ_SEGMENT_SIZE) return finish(VIRTIO_BLK_S_UNSUPP, name);
      if (reader.remaining < VIRTIO_BLK_DWZ_SEGMENT_SIZE) return { kind: 'broken', message: VIRTIO_BLK_ERR.dwzTooShort };
      const seg = new DataView(reader.read(VIRTIO_BLK_DWZ_SEGMENT_SIZE).buffer);
      const start = Number(seg.getBigUint64(VIRTIO_BLK_DWZ_SECTOR, true));
      const count = seg.getUint32(VIRTIO_BLK_DWZ_NUM_SECTORS, true);
      const flags = seg.getUint32(VIRTIO_BLK_DWZ_FLAGS, true);
      const what = `${name} sector ${start} count ${count}`;
      if (count > max || !rangeOk(ctx, start, count * VIRTIO_BLK_SECTOR_SIZE)) return finish(VIRTIO_BLK_S_IOERR, what);
      // Unknown flags are UNSUPP for both; UNMAP is meaningful only for write-zeroes.
      if (flags & ~VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP || (!zeroes && flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP)) return finish(VIRTIO_BLK_S_UNSUPP, what);
      const r = zeroes ? ctx.backend.writeZeroes(start, count, (flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) !== 0) : ctx.backend.discard(start, count);
      return finish(r.ok ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR, what);
    }
    default:
      return finish(VIRTIO_BLK_S_UNSUPP, `type ${type >>> 0}`);
  }
}

/** QEMU's virtio_blk_sect_range_ok: aligned to the block size, inside the disk, not too big. */
function rangeOk(ctx: BlkRequestContext, sector: number, bytes: number): boolean {
  const perBlock = ctx.blockSize / VIRTIO_BLK_SECTOR_SIZE;
  if (!Number.isSafeInteger(sector) || bytes % ctx.blockSize !== 0 || sector % perBlock !== 0) return false;
  const count = bytes / VIRTIO_BLK_SECTOR_SIZE;
  return count <= VIRTIO_BLK_MAX_REQUEST_SECTORS && ctx.backend.inRange(sector, count);
}

/** Write: guest data to the image, chunk by chunk. */
function copyOut(ctx: BlkRequestContext, reader: ChainReader, sector: number, bytes: number): number {
  const chunk = VIRTIO_BLK_IO_CHUNK_SECTORS * VIRTIO_BLK_SECTOR_SIZE;
  for (let done = 0; done < bytes; done += chunk) {
    const data = reader.read(Math.min(chunk, bytes - done));
    const r: BlockResult = ctx.backend.write(sector + done / VIRTIO_BLK_SECTOR_SIZE, data);
    if (!r.ok) return VIRTIO_BLK_S_IOERR;
  }
  return VIRTIO_BLK_S_OK;
}

/** Read: image data into the guest's buffers, chunk by chunk. */
function copyIn(ctx: BlkRequestContext, writer: ChainWriter, sector: number, bytes: number): number {
  for (let done = 0; done < bytes; done += VIRTIO_BLK_IO_CHUNK_SECTORS * VIRTIO_BLK_SECTOR_SIZE) {
    const n = Math.min(VIRTIO_BLK_IO_CHUNK_SECTORS, (bytes - done) / VIRTIO_BLK_SECTOR_SIZE);
    const r = ctx.backend.read(sector + done / VIRTIO_BLK_SECTOR_SIZE, n);
    if (!r.ok) return VIRTIO_BLK_S_IOERR;
    writer.write(r.data);
  }
  return VIRTIO_BLK_S_OK;
}
