/**
 * virtio-scsi ABI (VIRTIO 1.2 §5.6, SCSI Host Device): feature bits, the configuration
 * layout, queue numbering, the LUN address format, request/response headers of the request,
 * control and event queues, and their response codes. SCSI itself (CDBs, sense) is in
 * ./scsi.js. Shared by devices/virtio-scsi and the guest's virtio_scsi driver.
 */

// ---------------------------------------------------------------------------------------------
// Feature bits (§5.6.3)
// ---------------------------------------------------------------------------------------------

/** A request may carry both data-out and data-in buffers. */
export const VIRTIO_SCSI_F_INOUT = 0;
/** The device reports rescans (transport reset events) on hotplug/unplug. */
export const VIRTIO_SCSI_F_HOTPLUG = 1;
/** The device reports parameter changes (PARAM_CHANGE events). */
export const VIRTIO_SCSI_F_CHANGE = 2;
/** Protection information fields in the request header. */
export const VIRTIO_SCSI_F_T10_PI = 3;

// ---------------------------------------------------------------------------------------------
// Queues (§5.6.2)
// ---------------------------------------------------------------------------------------------

/** controlq. */
export const VIRTIO_SCSI_CONTROLQ = 0;
/** eventq. */
export const VIRTIO_SCSI_EVENTQ = 1;
/** First requestq. */
export const VIRTIO_SCSI_REQUESTQ = 2;

// ---------------------------------------------------------------------------------------------
// Configuration layout (§5.6.4), little-endian
// ---------------------------------------------------------------------------------------------

/** le32 num_queues (request queues). */
export const VIRTIO_SCSI_CFG_NUM_QUEUES = 0;
/** le32 seg_max. */
export const VIRTIO_SCSI_CFG_SEG_MAX = 4;
/** le32 max_sectors. */
export const VIRTIO_SCSI_CFG_MAX_SECTORS = 8;
/** le32 cmd_per_lun. */
export const VIRTIO_SCSI_CFG_CMD_PER_LUN = 12;
/** le32 event_info_size. */
export const VIRTIO_SCSI_CFG_EVENT_INFO_SIZE = 16;
/** le32 sense_size (driver-writable). */
export const VIRTIO_SCSI_CFG_SENSE_SIZE = 20;
/** le32 cdb_size (driver-writable). */
export const VIRTIO_SCSI_CFG_CDB_SIZE = 24;
/** le16 max_channel. */
export const VIRTIO_SCSI_CFG_MAX_CHANNEL = 28;
/** le16 max_target. */
export const VIRTIO_SCSI_CFG_MAX_TARGET = 30;
/** le32 max_lun. */
export const VIRTIO_SCSI_CFG_MAX_LUN = 32;
/** Size of the configuration. */
export const VIRTIO_SCSI_CONFIG_SIZE = 36;

/** Default (and QEMU's) cdb_size. */
export const VIRTIO_SCSI_CDB_DEFAULT_SIZE = 32;
/** Default (and QEMU's) sense_size. */
export const VIRTIO_SCSI_SENSE_DEFAULT_SIZE = 96;

// ---------------------------------------------------------------------------------------------
// LUN address (§5.6.6.1): byte 0 = 1, byte 1 = target, bytes 2-3 = flat-space LUN.
// ---------------------------------------------------------------------------------------------

/** Bytes of the lun field. */
export const VIRTIO_SCSI_LUN_SIZE = 8;
/** Byte 0 of every valid LUN address. */
export const VIRTIO_SCSI_LUN_FIRST_BYTE = 1;
/** Flat space addressing method in byte 2 (SAM: 01b in the top two bits). */
export const VIRTIO_SCSI_LUN_FLAT_SPACE = 0x40;
/** Largest LUN a flat-space address holds. */
export const VIRTIO_SCSI_LUN_MAX = 0x3fff;

/** The 8-byte lun field for (target, lun), as Linux and QEMU build it. */
export function virtioScsiLun(target: number, lun: number): Uint8Array {
  const b = new Uint8Array(VIRTIO_SCSI_LUN_SIZE);
  b[0] = VIRTIO_SCSI_LUN_FIRST_BYTE;
  b[1] = target & 0xff;
  b[2] = VIRTIO_SCSI_LUN_FLAT_SPACE | ((lun >> 8) & 0x3f);
  b[3] = lun & 0xff;
  return b;
}

// ---------------------------------------------------------------------------------------------
// Request queue (§5.6.6)
// ---------------------------------------------------------------------------------------------

/** virtio_scsi_cmd_req offset: lun[8]. */
export const VIRTIO_SCSI_REQ_LUN = 0;
/** virtio_scsi_cmd_req offset: le64 id (tag). */
export const VIRTIO_SCSI_REQ_TAG = 8;
/** virtio_scsi_cmd_req offset: u8 task_attr. */
export const VIRTIO_SCSI_REQ_TASK_ATTR = 16;
/** virtio_scsi_cmd_req offset: u8 prio. */
export const VIRTIO_SCSI_REQ_PRIO = 17;
/** virtio_scsi_cmd_req offset: u8 crn. */
export const VIRTIO_SCSI_REQ_CRN = 18;
/** virtio_scsi_cmd_req offset: cdb[cdb_size]. */
export const VIRTIO_SCSI_REQ_CDB = 19;
/** Request header size before the CDB. */
export const VIRTIO_SCSI_REQ_HEADER_SIZE = 19;

/** virtio_scsi_cmd_resp offset: le32 sense_len. */
export const VIRTIO_SCSI_RESP_SENSE_LEN = 0;
/** virtio_scsi_cmd_resp offset: le32 resid. */
export const VIRTIO_SCSI_RESP_RESID = 4;
/** virtio_scsi_cmd_resp offset: le16 status_qualifier. */
export const VIRTIO_SCSI_RESP_STATUS_QUALIFIER = 8;
/** virtio_scsi_cmd_resp offset: u8 status (SAM status). */
export const VIRTIO_SCSI_RESP_STATUS = 10;
/** virtio_scsi_cmd_resp offset: u8 response (VIRTIO_SCSI_S_*). */
export const VIRTIO_SCSI_RESP_RESPONSE = 11;
/** virtio_scsi_cmd_resp offset: sense[sense_size]. */
export const VIRTIO_SCSI_RESP_SENSE = 12;
/** Response header size before the sense bytes. */
export const VIRTIO_SCSI_RESP_HEADER_SIZE = 12;

/** Task attribute: simple. */
export const VIRTIO_SCSI_S_SIMPLE = 0;
/** Task attribute: ordered. */
export const VIRTIO_SCSI_S_ORDERED = 1;
/** Task attribute: head of queue. */
export const VIRTIO_SCSI_S_HEAD = 2;
/** Task attribute: ACA. */
export const VIRTIO_SCSI_S_ACA = 3;

// Response codes (§5.6.6.1), for commands and task management alike.
/** The command completed (look at status). */
export const VIRTIO_SCSI_S_OK = 0;
/** Buffers too small for the data. */
export const VIRTIO_SCSI_S_OVERRUN = 1;
/** Aborted by a TMF. */
export const VIRTIO_SCSI_S_ABORTED = 2;
/** No such target (or malformed LUN address). */
export const VIRTIO_SCSI_S_BAD_TARGET = 3;
/** Aborted by a reset. */
export const VIRTIO_SCSI_S_RESET = 4;
/** Transient failure; retry. */
export const VIRTIO_SCSI_S_BUSY = 5;
/** Transport failure. */
export const VIRTIO_SCSI_S_TRANSPORT_FAILURE = 6;
/** Target failure. */
export const VIRTIO_SCSI_S_TARGET_FAILURE = 7;
/** Nexus failure. */
export const VIRTIO_SCSI_S_NEXUS_FAILURE = 8;
/** Any other failure (e.g. bidirectional data without INOUT). */
export const VIRTIO_SCSI_S_FAILURE = 9;
/** TMF: function succeeded. */
export const VIRTIO_SCSI_S_FUNCTION_SUCCEEDED = 10;
/** TMF: function rejected. */
export const VIRTIO_SCSI_S_FUNCTION_REJECTED = 11;
/** TMF: the logical unit does not exist on the target. */
export const VIRTIO_SCSI_S_INCORRECT_LUN = 12;

// ---------------------------------------------------------------------------------------------
// Control queue (§5.6.6.2)
// ---------------------------------------------------------------------------------------------

/** Control request type: task management function. */
export const VIRTIO_SCSI_T_TMF = 0;
/** Control request type: asynchronous notification query. */
export const VIRTIO_SCSI_T_AN_QUERY = 1;
/** Control request type: asynchronous notification subscription. */
export const VIRTIO_SCSI_T_AN_SUBSCRIBE = 2;

/** TMF subtype: abort one task (by tag). */
export const VIRTIO_SCSI_T_TMF_ABORT_TASK = 0;
/** TMF subtype: abort every task of the LUN. */
export const VIRTIO_SCSI_T_TMF_ABORT_TASK_SET = 1;
/** TMF subtype: clear ACA. */
export const VIRTIO_SCSI_T_TMF_CLEAR_ACA = 2;
/** TMF subtype: clear the task set. */
export const VIRTIO_SCSI_T_TMF_CLEAR_TASK_SET = 3;
/** TMF subtype: I_T nexus reset (every LUN of the target). */
export const VIRTIO_SCSI_T_TMF_I_T_NEXUS_RESET = 4;
/** TMF subtype: logical unit reset. */
export const VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET = 5;
/** TMF subtype: query one task. */
export const VIRTIO_SCSI_T_TMF_QUERY_TASK = 6;
/** TMF subtype: query the task set. */
export const VIRTIO_SCSI_T_TMF_QUERY_TASK_SET = 7;

/** TMF request: le32 type, le32 subtype, lun[8], le64 id. */
export const VIRTIO_SCSI_TMF_REQ_SIZE = 24;
/** TMF request offset of the subtype. */
export const VIRTIO_SCSI_TMF_REQ_SUBTYPE = 4;
/** TMF request offset of the lun. */
export const VIRTIO_SCSI_TMF_REQ_LUN = 8;
/** TMF request offset of the tag. */
export const VIRTIO_SCSI_TMF_REQ_TAG = 16;
/** TMF response: u8 response. */
export const VIRTIO_SCSI_TMF_RESP_SIZE = 1;

/** AN request: le32 type, lun[8], le32 event_requested. */
export const VIRTIO_SCSI_AN_REQ_SIZE = 16;
/** AN request offset of event_requested. */
export const VIRTIO_SCSI_AN_REQ_EVENT = 12;
/** AN response: le32 event_actual, u8 response. */
export const VIRTIO_SCSI_AN_RESP_SIZE = 5;
/** AN response offset of the response byte. */
export const VIRTIO_SCSI_AN_RESP_RESPONSE = 4;

// ---------------------------------------------------------------------------------------------
// Event queue (§5.6.6.3)
// ---------------------------------------------------------------------------------------------

/** Event: none (sent to report missed events). */
export const VIRTIO_SCSI_T_NO_EVENT = 0;
/** Event: transport reset (hotplug / hot-unplug of a LUN). */
export const VIRTIO_SCSI_T_TRANSPORT_RESET = 1;
/** Event: asynchronous notification. */
export const VIRTIO_SCSI_T_ASYNC_NOTIFY = 2;
/** Event: parameter change (e.g. capacity). */
export const VIRTIO_SCSI_T_PARAM_CHANGE = 3;
/** Flag ORed into the event when earlier events were dropped for lack of buffers. */
export const VIRTIO_SCSI_T_EVENTS_MISSED = 0x8000_0000;
/** Event buffer: le32 event, lun[8], le32 reason. */
export const VIRTIO_SCSI_EVENT_SIZE = 16;
/** Event offset of the lun. */
export const VIRTIO_SCSI_EVENT_LUN = 4;
/** Event offset of the reason. */
export const VIRTIO_SCSI_EVENT_REASON = 12;
