/**
 * The SCSI midlayer's entry point for host drivers (Linux's scsi_add_host + scsi_scan_host).
 * Keep this signature stable: virtio_scsi uses it, and libata's ata_piix/ahci use it with
 * their own queueCommand that translates SCSI to ATA.
 */
import type { GuestPlatform } from '../../platform/platform.js';
import { ScsiHost } from './host.js';
import { scanHost } from './scan.js';
import type { ScsiHostTemplate } from './types.js';

/**
 * Registers a host: allocates hostN (per kernel), creates `${template.sysfsParent}/hostN`
 * and /sys/class/scsi_host/hostN, and scans channels 0..maxChannel, targets 0..maxId and
 * (through REPORT LUNS) LUNs up to maxLun; disks become sda, sdb, ... The scan runs on
 * command completions: `host.whenScanned(cb)` tells when it is over.
 */
export function scsiAddHost(platform: GuestPlatform, template: ScsiHostTemplate): ScsiHost {
  const host = new ScsiHost(platform, template);
  const release = platform.kernel.block.beginProbe();
  scanHost(host, () => {
    host.scanFinished();
    release();
  });
  return host;
}
