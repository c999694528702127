/**
 * QMP commands for vCPUs, memory devices and objects: query-cpus-fast (QEMU 7.2's shape),
 * object-add/object-del for memory-backend-ram, query-memory-devices and
 * query-acpi-ospm-status, plus our own x-query-vcpu-states, which shows what QEMU's queries
 * cannot: whether each vCPU is running, halted or offline.
 *
 * This module imports nothing but types from commands.ts, which spreads its table into the
 * built-in one; that keeps the import cycle harmless whichever side loads first.
 */
import { QNum, type QDict, type QInput } from '../qobject/index.js';
import { MemoryDeviceError } from '../machine/memory-devices.js';
import { machineNetworkOf } from '../machine/device-types/net.js';
import type { QmpCommand } from './commands.js';
import { QmpError } from './errors.js';

function str(args: QDict, name: string): string {
  const v = args.get(name);
  if (v === undefined) throw new QmpError(`Parameter '${name}' is missing`);
  if (typeof v !== 'string') throw new QmpError(`Invalid parameter type for '${name}', expected: string`);
  return v;
}

function memError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof MemoryDeviceError) throw new QmpError(e.message, e.errorClass);
    throw e;
  }
}

/** Plain query data as QInput (records and arrays of scalars). */
function q(v: unknown): QInput {
  return v as QInput;
}

/** The hardware command table, merged into QMP_COMMANDS. */
export const HW_QMP_COMMANDS: Record<string, QmpCommand> = {
  'query-cpus-fast': { run: ({ machine }) => q(machine.vcpus.queryCpusFast()) },
  'x-query-vcpu-states': {
    run: ({ machine }) => q(machine.vcpus.cpus.map((c) => ({ 'cpu-index': c.index, state: machine.vcpus.state(c.index) }))),
  },
  'object-add': {
    args: 'any',
    run: ({ machine, args }) => {
      const qomType = str(args, 'qom-type');
      const id = str(args, 'id');
      const props: [string, string][] = [];
      for (const [k, v] of args.entries()) {
        if (k === 'qom-type' || k === 'id') continue;
        if (k === 'size' && !(v instanceof QNum && v.isInteger)) throw new QmpError(`Invalid parameter type for 'size', expected: integer`);
        if (v instanceof QNum) props.push([k, String(v.toJs())]);
        else if (typeof v === 'boolean') props.push([k, v ? 'on' : 'off']);
        else if (typeof v === 'string') props.push([k, v]);
        else throw new QmpError(`Parameter '${k}' is unexpected`);
      }
      memError(() => machine.memoryDevices.addObject({ qomType, id, props }));
      return undefined;
    },
  },
  'object-del': {
    args: ['id'],
    run: ({ machine, args }) => {
      const id = str(args, 'id');
      memError(() => machine.memoryDevices.deleteObject(id));
      return undefined;
    },
  },
  'query-memory-devices': { run: ({ machine }) => q(machine.memoryDevices.queryMemoryDevices()) },
  'query-acpi-ospm-status': { run: ({ machine }) => q(machine.memoryDevices.hotplug.ospmStatus()) },
  'set_link': {
    args: ['name', 'up'],
    run: ({ machine, args }) => {
      const name = str(args, 'name');
      const up = args.get('up');
      if (up === undefined) throw new QmpError(`Parameter 'up' is missing`);
      if (typeof up !== 'boolean') throw new QmpError(`Invalid parameter type for 'up', expected: boolean`);
      // QEMU takes a NIC id or a netdev id; either way the NIC's link changes.
      const net = machineNetworkOf(machine);
      const byId = machine.devices.find((d) => d.id === name)?.pci;
      const nic = net.nics.find((n) => n === byId) ?? net.nicOfNetdev(name);
      if (!nic) throw new QmpError(`Device '${name}' not found`, 'DeviceNotFound');
      nic.net.setLink(up);
      return undefined;
    },
  },
};
