/** The virtio bus in /sys: each virtio device is a "virtioN" child of its PCI function. */
import type { HandoffPciFunction } from '../../../abi/handoff.js';
import type { GuestPlatform } from '../../platform/platform.js';

/** Creates /sys/.../<pci function>/virtioN bound to `driver` and returns its path. */
export function addVirtioSysfs(platform: GuestPlatform, fn: HandoffPciFunction, driver: string, deviceId: number): string {
  const sysfs = platform.kernel.sysfs;
  const name = `virtio${platform.allocVirtioIndex()}`;
  const path = `${platform.sysfsPath(fn)}/${name}`;
  sysfs.dir(path);
  sysfs.value(`${path}/device`, () => '0x' + deviceId.toString(16).padStart(4, '0'));
  sysfs.value(`${path}/vendor`, () => '0x' + fn.subsystemVendor.toString(16).padStart(4, '0'));
  sysfs.link(`${path}/subsystem`, '/bus/virtio');
  sysfs.link(`${path}/driver`, `/bus/virtio/drivers/${driver}`);
  sysfs.link(`/bus/virtio/drivers/${driver}/${name}`, path);
  sysfs.link(`/bus/virtio/devices/${name}`, path);
  return path;
}
