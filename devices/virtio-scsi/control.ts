/**
 * The virtio-scsi controlq and eventq (VIRTIO 1.2 §5.6.6.2-3). Task management is minimal,
 * as nothing here is ever in flight (commands complete when kicked): aborts and queries find
 * nothing and report FUNCTION COMPLETE, resets reset the addressed units, CLEAR ACA and
 * unknown subtypes are rejected. Asynchronous notification reports no events. The eventq
 * holds driver buffers for events; when one is needed and none is there the event is dropped
 * and the next one carries EVENTS_MISSED, as on QEMU.
 */
import {
  VIRTIO_SCSI_AN_REQ_SIZE,
  VIRTIO_SCSI_AN_RESP_RESPONSE,
  VIRTIO_SCSI_AN_RESP_SIZE,
  VIRTIO_SCSI_EVENT_LUN,
  VIRTIO_SCSI_EVENT_REASON,
  VIRTIO_SCSI_EVENT_SIZE,
  VIRTIO_SCSI_S_BAD_TARGET,
  VIRTIO_SCSI_S_FUNCTION_REJECTED,
  VIRTIO_SCSI_S_INCORRECT_LUN,
  VIRTIO_SCSI_S_OK,
  VIRTIO_SCSI_TMF_REQ_LUN,
  VIRTIO_SCSI_TMF_REQ_SIZE,
  VIRTIO_SCSI_TMF_REQ_SUBTYPE,
  VIRTIO_SCSI_TMF_RESP_SIZE,
  VIRTIO_SCSI_T_AN_QUERY,
  VIRTIO_SCSI_T_AN_SUBSCRIBE,
  VIRTIO_SCSI_T_EVENTS_MISSED,
  VIRTIO_SCSI_T_TMF,
  VIRTIO_SCSI_T_TMF_ABORT_TASK,
  VIRTIO_SCSI_T_TMF_ABORT_TASK_SET,
  VIRTIO_SCSI_T_TMF_CLEAR_TASK_SET,
  VIRTIO_SCSI_T_TMF_I_T_NEXUS_RESET,
  VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET,
  VIRTIO_SCSI_T_TMF_QUERY_TASK,
  VIRTIO_SCSI_T_TMF_QUERY_TASK_SET,
  virtioScsiLun,
} from '../../src/abi/virtio-scsi.js';
import type { AddressSpace } from '../../src/memory/address-space.js';
import type { ScsiBus } from '../scsi/bus.js';
import { ChainReader, ChainWriter, segmentsLength, type DescriptorChain } from '../virtio/chain.js';
import { VIRTIO_SCSI_BAD_HEADERS, parseVirtioScsiLun } from './request.js';

/** How a control request ended. */
export type ScsiCtrlOutcome = { kind: 'done'; usedLen: number; what: string } | { kind: 'broken'; message: string };

/** Runs one controlq chain. */
export function handleScsiControl(mem: AddressSpace, bus: ScsiBus, chain: DescriptorChain): ScsiCtrlOutcome {
  const reader = new ChainReader(mem, chain.readable);
  if (reader.total < 4) return { kind: 'broken', message: VIRTIO_SCSI_BAD_HEADERS };
  const inLen = segmentsLength(chain.writable);
  const head = reader.read(4);
  const type = new DataView(head.buffer).getUint32(0, true);
  if (type === VIRTIO_SCSI_T_TMF) {
    if (reader.total < VIRTIO_SCSI_TMF_REQ_SIZE || inLen < VIRTIO_SCSI_TMF_RESP_SIZE) return { kind: 'broken', message: VIRTIO_SCSI_BAD_HEADERS };
    const req = new Uint8Array(VIRTIO_SCSI_TMF_REQ_SIZE);
    req.set(head);
    req.set(reader.read(VIRTIO_SCSI_TMF_REQ_SIZE - 4), 4);
    const subtype = new DataView(req.buffer).getUint32(VIRTIO_SCSI_TMF_REQ_SUBTYPE, true);
    const response = taskManagement(bus, subtype, req.subarray(VIRTIO_SCSI_TMF_REQ_LUN, VIRTIO_SCSI_TMF_REQ_LUN + 8));
    new ChainWriter(mem, chain.writable).write(Uint8Array.of(response));
    return { kind: 'done', usedLen: VIRTIO_SCSI_TMF_RESP_SIZE, what: `TMF ${subtype} -> response ${response}` };
  }
  if (type === VIRTIO_SCSI_T_AN_QUERY || type === VIRTIO_SCSI_T_AN_SUBSCRIBE) {
    if (reader.total < VIRTIO_SCSI_AN_REQ_SIZE || inLen < VIRTIO_SCSI_AN_RESP_SIZE) return { kind: 'broken', message: VIRTIO_SCSI_BAD_HEADERS };
    // event_actual 0: no asynchronous notifications are supported.
    const resp = new Uint8Array(VIRTIO_SCSI_AN_RESP_SIZE);
    resp[VIRTIO_SCSI_AN_RESP_RESPONSE] = VIRTIO_SCSI_S_OK;
    new ChainWriter(mem, chain.writable).write(resp);
    return { kind: 'done', usedLen: VIRTIO_SCSI_AN_RESP_SIZE, what: `AN ${type === VIRTIO_SCSI_T_AN_QUERY ? 'query' : 'subscribe'} -> no events` };
  }
  // An unknown control type is returned untouched, as QEMU does.
  return { kind: 'done', usedLen: 0, what: `control type ${type} ignored` };
}

function taskManagement(bus: ScsiBus, subtype: number, lunField: Uint8Array): number {
  const addr = parseVirtioScsiLun(lunField);
  const exists = addr !== undefined && bus.hasTarget(0, addr.target);
  switch (subtype) {
    case VIRTIO_SCSI_T_TMF_I_T_NEXUS_RESET:
      if (addr) bus.reset(0, addr.target);
      return VIRTIO_SCSI_S_OK;
    case VIRTIO_SCSI_T_TMF_ABORT_TASK:
    case VIRTIO_SCSI_T_TMF_ABORT_TASK_SET:
    case VIRTIO_SCSI_T_TMF_CLEAR_TASK_SET:
    case VIRTIO_SCSI_T_TMF_QUERY_TASK:
    case VIRTIO_SCSI_T_TMF_QUERY_TASK_SET:
    case VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET: {
      if (!exists || !addr) return VIRTIO_SCSI_S_BAD_TARGET;
      const unit = bus.find(0, addr.target, addr.lun);
      if (!unit) return VIRTIO_SCSI_S_INCORRECT_LUN;
      if (subtype === VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET) unit.reset();
      // Nothing is ever queued, so aborts and queries find no task: FUNCTION COMPLETE.
      return VIRTIO_SCSI_S_OK;
    }
    default:
      return VIRTIO_SCSI_S_FUNCTION_REJECTED;
  }
}

/** One event to report. */
export interface ScsiEvent {
  /** VIRTIO_SCSI_T_*. */
  event: number;
  /** Reason (for PARAM_CHANGE: asc | ascq << 8). */
  reason: number;
  /** Addressed unit (absent for EVENTS_MISSED-only reports). */
  target?: number;
  /** LUN. */
  lun?: number;
}

/** Writes `ev` into an eventq chain; undefined when the buffer is too small (a broken driver). */
export function writeScsiEvent(mem: AddressSpace, chain: DescriptorChain, ev: ScsiEvent, missed: boolean): number | undefined {
  if (segmentsLength(chain.writable) < VIRTIO_SCSI_EVENT_SIZE) return undefined;
  const b = new Uint8Array(VIRTIO_SCSI_EVENT_SIZE);
  const v = new DataView(b.buffer);
  v.setUint32(0, (ev.event | (missed ? VIRTIO_SCSI_T_EVENTS_MISSED : 0)) >>> 0, true);
  if (ev.target !== undefined) b.set(virtioScsiLun(ev.target, ev.lun ?? 0), VIRTIO_SCSI_EVENT_LUN);
  v.setUint32(VIRTIO_SCSI_EVENT_REASON, ev.reason >>> 0, true);
  return new ChainWriter(mem, chain.writable).write(b);
}
