/** qga-sim as a library: build machines, talk to them, and test devices. */
export { Machine, DEFAULT_EPOCH_NS, type MachineEvents, type MachineHostOptions } from './machine/machine.js';
export { defaultMachineConfig, type MachineConfig, type DeviceSpec, type ChardevOption } from './machine/config.js';
export { addDefaults, QGA_PORT_NAME } from './machine/defaults.js';
export { registerDeviceType, deviceTypes, type DeviceType } from './machine/device-registry.js';
export type { RunState, MachineEvent } from './machine/run-state.js';
export { parseArgs, CliError, type CliRequest } from './cli/args.js';
export { launchMachine, type LaunchedMachine } from './host/launch.js';
export { MachineRunner, type PacingMode } from './host/runner.js';
export { QmpMonitor } from './qmp/monitor.js';
export { Scheduler, NS_PER_SEC, NS_PER_MS, NS_PER_US } from './core/scheduler.js';
export { Prng } from './core/prng.js';
export { Trace, TRACE_CATEGORIES, type TraceCategory, type TraceRecord } from './core/trace.js';
export * from './chardev/index.js';
export * as qobject from './qobject/index.js';
export * as testkit from './testkit/index.js';
