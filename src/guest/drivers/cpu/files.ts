/**
 * The CPU files of /sys and /proc: /sys/devices/system/cpu (masks, kernel_max, cpuN/online
 * with Linux's kstrtobool parsing and EBUSY for the last CPU, no `online` for CPU 0), /proc/stat
 * (an aggregate line, one line per online CPU) and /proc/cpuinfo for QEMU's default qemu64 CPU.
 */
import { GSI_COUNT } from '../../../abi/interrupts.js';
import { Errno } from '../../kernel/errno.js';
import type { Kernel } from '../../kernel/index.js';
import type { SysfsAttr } from '../../kernel/sysfs/sysfs.js';
import { CpuHotplug, NR_CPUS, formatCpuList } from './hotplug.js';

/** /sys path of the CPU subsystem. */
export const CPU_SYSFS_DIR = '/devices/system/cpu';
/** USER_HZ: /proc/stat counts in 1/100 s. */
export const USER_HZ = 100;
/** Softirq kinds in /proc/stat's softirq line (NR_SOFTIRQS). */
const NR_SOFTIRQS = 10;
/** QEMU's qemu64 model (vendor, family, model, stepping, model name). */
export const QEMU64_CPU = { vendor: 'AuthenticAMD', family: 15, model: 107, stepping: 1, name: 'QEMU Virtual CPU version 2.5+' } as const;

/** kstrtobool: the first character decides (y/Y/1, n/N/0, on/off); anything else is EINVAL. */
export function parseKernelBool(s: string): boolean {
  const c = s[0];
  if (c === 'y' || c === 'Y' || c === '1') return true;
  if (c === 'n' || c === 'N' || c === '0') return false;
  if ((c === 'o' || c === 'O') && (s[1] === 'n' || s[1] === 'N')) return true;
  if ((c === 'o' || c === 'O') && (s[1] === 'f' || s[1] === 'F')) return false;
  throw new Errno('EINVAL');
}

/** Creates /sys/devices/system/cpu and the /proc files for `hp`. */
export function registerCpuFiles(kernel: Kernel, hp: CpuHotplug): void {
  const sysfs = kernel.sysfs;
  const all = (n: number) => Array.from({ length: n }, (_, i) => i);
  sysfs.value(`${CPU_SYSFS_DIR}/kernel_max`, () => NR_CPUS - 1);
  sysfs.value(`${CPU_SYSFS_DIR}/possible`, () => formatCpuList(all(hp.possible)));
  sysfs.value(`${CPU_SYSFS_DIR}/present`, () => formatCpuList(all(hp.present)));
  sysfs.value(`${CPU_SYSFS_DIR}/online`, () => formatCpuList(hp.onlineCpus()));
  sysfs.value(`${CPU_SYSFS_DIR}/offline`, () => formatCpuList(all(hp.possible).filter((c) => !hp.isOnline(c))));
  for (let cpu = 0; cpu < hp.present; cpu++) {
    const dir = `${CPU_SYSFS_DIR}/cpu${cpu}`;
    sysfs.dir(dir);
    sysfs.link(`${dir}/subsystem`, '/bus/cpu');
    sysfs.link(`/bus/cpu/devices/cpu${cpu}`, dir);
    sysfs.value(`${dir}/topology/physical_package_id`, () => cpu);
    sysfs.value(`${dir}/topology/core_id`, () => 0);
    sysfs.value(`${dir}/topology/core_cpus_list`, () => cpu);
    sysfs.value(`${dir}/topology/thread_siblings_list`, () => cpu);
    // x86 without CONFIG_BOOTPARAM_HOTPLUG_CPU0: the boot CPU cannot be offlined, so it has no `online`.
    if (cpu !== 0) sysfs.attr(`${dir}/online`, onlineAttr(hp, cpu));
  }
  kernel.procfs.registerText('stat', () => procStat(kernel, hp));
  kernel.procfs.registerText('cpuinfo', () => hp.onlineCpus().map(cpuinfoBlock).join(''));
}

function onlineAttr(hp: CpuHotplug, cpu: number): SysfsAttr {
  return {
    mode: 0o644,
    show: () => `${hp.isOnline(cpu) ? 1 : 0}\n`,
    store: (data) => {
      if (parseKernelBool(data)) hp.up(cpu);
      else hp.down(cpu);
    },
  };
}

function ticks(ns: number): number {
  return Math.floor((ns * USER_HZ) / 1e9);
}

/** The ten counters of one cpu line, in /proc/stat's order. */
function cpuFields(t: { user: number; system: number; idle: number }): number[] {
  return [ticks(t.user), 0, ticks(t.system), ticks(t.idle), 0, 0, 0, 0, 0, 0];
}

function procStat(kernel: Kernel, hp: CpuHotplug): string {
  const online = hp.onlineCpus();
  const per = online.map((c) => ({ cpu: c, f: cpuFields(hp.times(c)) }));
  // The aggregate sums every possible CPU (offline ones keep their past time), like Linux.
  const sum = new Array<number>(10).fill(0);
  for (let c = 0; c < hp.present; c++) cpuFields(hp.times(c)).forEach((v, i) => (sum[i]! += v));
  const procs = kernel.processes();
  const running = procs.filter((p) => p.state !== 'zombie').length > 0 ? 1 : 0;
  const nowNs = kernel.clock.realtimeNs();
  const btime = (nowNs - BigInt(kernel.clock.monotonicNs())) / 1_000_000_000n;
  const lines = [
    `cpu  ${sum.join(' ')}`,
    ...per.map((p) => `cpu${p.cpu} ${p.f.join(' ')}`),
    `intr 0${' 0'.repeat(GSI_COUNT)}`,
    'ctxt 0',
    `btime ${btime}`,
    `processes ${procs.reduce((m, p) => Math.max(m, p.pid), 0)}`,
    `procs_running ${running}`,
    'procs_blocked 0',
    `softirq 0${' 0'.repeat(NR_SOFTIRQS)}`,
  ];
  return lines.join('\n') + '\n';
}

function cpuinfoBlock(cpu: number): string {
  const m = QEMU64_CPU;
  const fields: [string, string | number][] = [
    ['processor', cpu],
    ['vendor_id', m.vendor],
    ['cpu family', m.family],
    ['model', m.model],
    ['model name', m.name],
    ['stepping', m.stepping],
    ['physical id', cpu],
    ['siblings', 1],
    ['core id', 0],
    ['cpu cores', 1],
    ['apicid', cpu],
    ['initial apicid', cpu],
    ['fpu', 'yes'],
    ['fpu_exception', 'yes'],
    ['cpuid level', 13],
    ['wp', 'yes'],
    ['flags', 'fpu de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 syscall nx lm rep_good nopl cpuid extd_apicid pni cx16 hypervisor lahf_lm cmp_legacy svm 3dnowprefetch vmmcall'],
    ['clflush size', 64],
    ['cache_alignment', 64],
    ['address sizes', '40 bits physical, 48 bits virtual'],
  ];
  // Linux pads names with tabs to column 16 and prints "name\t: value"; the last line is bare.
  return fields.map(([k, v]) => `${k}${k.length < 8 ? '\t\t' : '\t'}: ${v}\n`).join('') + 'power management:\n\n';
}
