/**
 * The guest's SCSI midlayer and sd: scsiAddHost for host drivers, the scan, and SCSI disks
 * registered with the block layer.
 */
export { scsiAddHost } from './midlayer.js';
export { SCSI_DEFAULT_MAX_TRANSFER_BYTES, SCSI_UA_RETRIES, ScsiHost, scsiHosts, senseKey } from './host.js';
export type { ScsiAddress, ScsiDeviceInfo } from './host.js';
export { SCAN_REPORT_LUNS_ALLOC, scanHost, scanTarget } from './scan.js';
export { SD_DEVICE_TYPES, SD_MAX_DISKS, SD_MAX_UNMAP_BLOCKS, SD_MINORS, SdDisk, sdDisks, sdMajor, sdProbe } from './sd.js';
export type { SdGeometry } from './sd.js';
export { SAM_STAT_CHECK_CONDITION, SAM_STAT_GOOD } from './types.js';
export type { ScsiCommand, ScsiDataDirection, ScsiHostTemplate, ScsiResult } from './types.js';
