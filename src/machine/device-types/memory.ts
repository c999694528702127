/**
 * `-device pc-dimm` (and QMP device_add of one): a DIMM backed by a memory-backend-ram object.
 * Registered through a function the registry calls, so the import cycle between the registry
 * and its device families never touches an uninitialised binding.
 */
import { parseQemuNumber } from '../../cli/qemu-opts.js';
import { DeviceError, type DeviceType } from '../device-registry.js';
import { MemoryDeviceError, memoryDevicesOf } from '../memory-devices.js';

/** Driver name. */
export const PC_DIMM = 'pc-dimm';

/** Properties a pc-dimm has (the first four are read by the generic -device code). */
const KNOWN_PROPS = ['id', 'addr', 'bus', 'multifunction', 'slot', 'node', 'memdev'];

/** A DeviceError carrying the QMP error class QEMU would answer with. */
export function deviceErrorWithClass(message: string, errorClass: 'GenericError' | 'DeviceNotFound'): DeviceError {
  return Object.assign(new DeviceError(message), { errorClass });
}

const pcDimm: DeviceType = {
  name: PC_DIMM,
  category: 'Misc',
  desc: 'DIMM memory module',
  hotpluggable: true,
  create(m, props, common) {
    if (common.bus !== undefined) throw new DeviceError(`Bus '${common.bus}' not found`);
    if (props.keys().includes('multifunction')) throw new DeviceError(`Property '${PC_DIMM}.multifunction' not found`);
    const num = (name: string, v: string | undefined): number | undefined => {
      if (v === undefined) return undefined;
      const n = parseQemuNumber(v);
      if (n === undefined) throw new DeviceError(`Property '${PC_DIMM}.${name}' doesn't take value '${v}'`);
      return n;
    };
    // The generic reader took `addr` as a PCI address; for a DIMM it is the base address.
    const addr = typeof common.addr === 'string' ? num('addr', common.addr) : undefined;
    const slotStr = props.str('slot');
    const slot = slotStr === undefined || slotStr === '-1' ? undefined : num('slot', slotStr);
    const node = num('node', props.str('node')) ?? 0;
    if (node !== 0) throw new DeviceError(`'DIMM property node has value ${node}' which exceeds the number of numa nodes: 1`);
    const memdev = props.str('memdev');
    // Unknown properties must fail before the RAM is mapped, not after.
    for (const k of props.keys()) if (!KNOWN_PROPS.includes(k)) throw new DeviceError(`Property '${PC_DIMM}.${k}' not found`);
    const id = common.id ?? '';
    const md = memoryDevicesOf(m);
    try {
      md.plugDimm({ id, memdev, slot, addr, node }, md.coldplugDone);
    } catch (e) {
      if (e instanceof MemoryDeviceError) throw deviceErrorWithClass(e.message, e.errorClass);
      throw e;
    }
    return { driver: PC_DIMM, id };
  },
};

/** Registers the memory device types. */
export function registerMemoryDeviceTypes(register: (t: DeviceType) => void): void {
  register(pcDimm);
}
