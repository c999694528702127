/**
 * One virtio-scsi command (VIRTIO 1.2 §5.6.6.1): virtio_scsi_cmd_req and data-out in the
 * device-readable part, virtio_scsi_cmd_resp and data-in in the device-writable part.
 * Outcomes follow QEMU's virtio-scsi: headers that do not fit break the device; a malformed
 * LUN or an empty target is BAD_TARGET; data both ways is FAILURE; buffers that do not match
 * what the CDB transfers are OVERRUN; everything else reaches the SCSI target, whose status
 * and sense come back in the response.
 */
import { SAM_STAT_GOOD } from '../../src/abi/scsi.js';
import {
  VIRTIO_SCSI_LUN_FIRST_BYTE,
  VIRTIO_SCSI_LUN_FLAT_SPACE,
  VIRTIO_SCSI_LUN_MAX,
  VIRTIO_SCSI_LUN_SIZE,
  VIRTIO_SCSI_REQ_CDB,
  VIRTIO_SCSI_REQ_HEADER_SIZE,
  VIRTIO_SCSI_REQ_LUN,
  VIRTIO_SCSI_RESP_HEADER_SIZE,
  VIRTIO_SCSI_RESP_RESID,
  VIRTIO_SCSI_RESP_RESPONSE,
  VIRTIO_SCSI_RESP_SENSE,
  VIRTIO_SCSI_RESP_SENSE_LEN,
  VIRTIO_SCSI_RESP_STATUS,
  VIRTIO_SCSI_S_BAD_TARGET,
  VIRTIO_SCSI_S_FAILURE,
  VIRTIO_SCSI_S_OK,
  VIRTIO_SCSI_S_OVERRUN,
} from '../../src/abi/virtio-scsi.js';
import type { AddressSpace } from '../../src/memory/address-space.js';
import type { ScsiBus } from '../scsi/bus.js';
import { cdbTransfer } from '../scsi/cdb.js';
import { SCSI_DISK_BLOCK_SIZE } from '../scsi/disk.js';
import type { ScsiXferMode } from '../scsi/types.js';
import { ChainReader, ChainWriter, segmentsLength, type DescriptorChain } from '../virtio/chain.js';
import { ChainDataPhase, skipSegments } from './chain-phase.js';

/** QEMU's virtio_error text for headers that do not fit the chain. */
export const VIRTIO_SCSI_BAD_HEADERS = 'wrong size for virtio-scsi headers';

/** What a command needs from its device. */
export interface ScsiCmdContext {
  /** Guest memory. */
  readonly mem: AddressSpace;
  /** The bus the targets are on. */
  readonly bus: ScsiBus;
  /** Current cdb_size (driver-writable in config). */
  readonly cdbSize: number;
  /** Current sense_size (driver-writable in config). */
  readonly senseSize: number;
  /** ANY_LAYOUT negotiated (otherwise headers are the first descriptors, however long). */
  readonly anyLayout: boolean;
}

/** How a command ended. */
export type ScsiCmdOutcome = { kind: 'done'; usedLen: number; what: string } | { kind: 'broken'; message: string };

/** (target, lun) of an 8-byte virtio-scsi LUN field, or undefined when it is not a valid address. */
export function parseVirtioScsiLun(lun: Uint8Array): { target: number; lun: number } | undefined {
  if (lun[0] !== VIRTIO_SCSI_LUN_FIRST_BYTE) return undefined;
  const b2 = lun[2]!;
  if (b2 !== 0 && !(b2 >= VIRTIO_SCSI_LUN_FLAT_SPACE && b2 < 0x80)) return undefined;
  return { target: lun[1]!, lun: ((b2 << 8) | lun[3]!) & VIRTIO_SCSI_LUN_MAX };
}

/** Runs one request-queue chain. */
export function handleScsiCommand(ctx: ScsiCmdContext, chain: DescriptorChain): ScsiCmdOutcome {
  const reqSize = VIRTIO_SCSI_REQ_HEADER_SIZE + ctx.cdbSize;
  const respSize = VIRTIO_SCSI_RESP_HEADER_SIZE + ctx.senseSize;
  if (segmentsLength(chain.readable) < reqSize || segmentsLength(chain.writable) < respSize) return { kind: 'broken', message: VIRTIO_SCSI_BAD_HEADERS };
  const req = new ChainReader(ctx.mem, chain.readable).read(reqSize);
  // Without ANY_LAYOUT the payload starts at the second descriptor, padding and all (old BIOSes).
  const outSkip = ctx.anyLayout ? reqSize : Math.max(reqSize, chain.readable[0]!.len);
  const inSkip = ctx.anyLayout ? respSize : Math.max(respSize, chain.writable[0]!.len);
  const outSegs = skipSegments(chain.readable, outSkip);
  const inSegs = skipSegments(chain.writable, inSkip);
  const outLen = segmentsLength(outSegs);
  const inLen = segmentsLength(inSegs);
  const resp = new Uint8Array(respSize);
  const respView = new DataView(resp.buffer);
  const respond = (response: number, what: string, inBytes = 0): ScsiCmdOutcome => {
    resp[VIRTIO_SCSI_RESP_RESPONSE] = response;
    new ChainWriter(ctx.mem, chain.writable).write(resp);
    return { kind: 'done', usedLen: respSize + inBytes, what };
  };

  const cdb = req.subarray(VIRTIO_SCSI_REQ_CDB, VIRTIO_SCSI_REQ_CDB + ctx.cdbSize);
  const op = `op 0x${(cdb[0] ?? 0).toString(16).padStart(2, '0')}`;
  if (outLen > 0 && inLen > 0) return respond(VIRTIO_SCSI_S_FAILURE, `${op}: data both ways -> FAILURE`);
  const mode: ScsiXferMode = outLen > 0 ? 'to-device' : inLen > 0 ? 'from-device' : 'none';

  const addr = parseVirtioScsiLun(req.subarray(VIRTIO_SCSI_REQ_LUN, VIRTIO_SCSI_REQ_LUN + VIRTIO_SCSI_LUN_SIZE));
  if (!addr || !ctx.bus.hasTarget(0, addr.target)) return respond(VIRTIO_SCSI_S_BAD_TARGET, `${op}: -> BAD_TARGET`);
  const where = `${addr.target}:${addr.lun} ${op}`;

  const xfer = cdbTransfer(cdb, SCSI_DISK_BLOCK_SIZE);
  const bufLen = mode === 'to-device' ? outLen : inLen;
  if (xfer.mode !== 'none' && (xfer.mode !== mode || xfer.length > bufLen)) return respond(VIRTIO_SCSI_S_OVERRUN, `${where}: ${xfer.mode} ${xfer.length} bytes, buffers ${mode} ${bufLen} -> OVERRUN`);

  const phase = new ChainDataPhase(ctx.mem, mode, mode === 'to-device' ? outSegs : inSegs);
  const r = ctx.bus.execute(0, addr.target, addr.lun, cdb, phase);
  if (!r) return respond(VIRTIO_SCSI_S_BAD_TARGET, `${where}: -> BAD_TARGET`);
  respView.setUint32(VIRTIO_SCSI_RESP_RESID, r.status === SAM_STAT_GOOD ? Math.max(0, bufLen - r.transferred) : 0, true);
  resp[VIRTIO_SCSI_RESP_STATUS] = r.status;
  if (r.sense) {
    const n = Math.min(r.sense.length, ctx.senseSize);
    resp.set(r.sense.subarray(0, n), VIRTIO_SCSI_RESP_SENSE);
    respView.setUint32(VIRTIO_SCSI_RESP_SENSE_LEN, n, true);
  }
  const sense = r.sense ? ` sense ${r.sense[2]! & 0xf}/${hex2(r.sense[12]!)}/${hex2(r.sense[13]!)}` : '';
  return respond(VIRTIO_SCSI_S_OK, `${where}: status 0x${hex2(r.status)}${sense}, ${r.transferred} bytes`, mode === 'from-device' ? r.transferred : 0);
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}
