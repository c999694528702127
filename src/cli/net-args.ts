/**
 * Command-line options of the network, memory-object and fw_cfg families: -netdev, -nic,
 * -object and -fw_cfg, turned into configuration with QEMU's error texts.
 */
import { FW_CFG_MAX_FILE_PATH } from '../abi/fw-cfg.js';
import type { MachineConfig } from '../machine/config.js';
import { OptsReader, QemuOptsError, parseQemuOpts } from './qemu-opts.js';

/** Netdev types QEMU has that are not modelled here (named in a clearer error). */
const UNMODELLED_NETDEVS = ['tap', 'bridge', 'socket', 'stream', 'dgram', 'vde', 'l2tpv3', 'vhost-user', 'vhost-vdpa', 'hubport', 'netmap', 'af-xdp'];
/** The NIC models -nic accepts. */
const NIC_MODELS = ['virtio-net-pci'];

/** -netdev TYPE,id=ID[,...]. */
export function applyNetdev(cfg: MachineConfig, value: string): void {
  const o = parseQemuOpts(value, 'type');
  const type = o.implied ?? o.pairs.find(([k]) => k === 'type')?.[1];
  if (type === undefined) throw new QemuOptsError(`Parameter 'type' is missing`);
  checkNetdevType(type);
  const id = o.pairs.find(([k]) => k === 'id')?.[1];
  if (id === undefined) throw new QemuOptsError(`Parameter 'id' is missing`);
  if (cfg.netdevs.some((n) => n.id === id)) throw new QemuOptsError(`Duplicate ID '${id}' for netdev`);
  cfg.netdevs.push({ type: 'user', id, props: o.pairs.filter(([k]) => k !== 'id' && k !== 'type') });
}

/** -nic TYPE[,model=M][,mac=...]: a netdev plus its NIC in one option (`-nic none` adds nothing). */
export function applyNic(cfg: MachineConfig, value: string): void {
  const o = parseQemuOpts(value, 'type');
  const type = o.implied ?? o.pairs.find(([k]) => k === 'type')?.[1] ?? 'user';
  if (type === 'none') return;
  checkNetdevType(type);
  const r = new OptsReader(o, 'nic');
  r.str('type');
  const model = r.str('model') ?? 'e1000';
  if (!NIC_MODELS.includes(model)) throw new QemuOptsError(`NIC model '${model}' is not modelled; use model=virtio-net-pci`);
  const mac = r.str('mac');
  const id = `__org.qemu.nic${cfg.netdevs.filter((n) => n.id.startsWith('__org.qemu.nic')).length}`;
  const rest = o.pairs.filter(([k]) => k !== 'type' && k !== 'model' && k !== 'mac');
  cfg.netdevs.push({ type: 'user', id, props: rest });
  cfg.devices.push({ driver: model, props: [['netdev', id], ...(mac === undefined ? [] : [['mac', mac] as [string, string]])] });
}

/** -object QOM-TYPE,id=ID[,...]. */
export function applyObject(cfg: MachineConfig, value: string): void {
  const o = parseQemuOpts(value, 'qom-type');
  const qomType = o.implied ?? o.pairs.find(([k]) => k === 'qom-type')?.[1];
  if (qomType === undefined) throw new QemuOptsError(`Parameter 'qom-type' is missing`);
  const id = o.pairs.find(([k]) => k === 'id')?.[1];
  if (id === undefined) throw new QemuOptsError(`Parameter 'id' is missing`);
  cfg.objects.push({ qomType, id, props: o.pairs.filter(([k]) => k !== 'id' && k !== 'qom-type') });
}

/** -fw_cfg [name=]NAME,string=TEXT (file= would be host I/O inside the machine; refused). */
export function applyFwCfg(cfg: MachineConfig, value: string): void {
  const o = parseQemuOpts(value, 'name');
  const r = new OptsReader(o, 'fw_cfg');
  const name = o.implied ?? r.str('name');
  const str = r.str('string');
  const file = r.str('file');
  r.rejectUnknown();
  if (name === undefined || (str !== undefined && file !== undefined) || (str === undefined && file === undefined)) throw new QemuOptsError('invalid argument(s)');
  if (file !== undefined) throw new QemuOptsError('file= is not supported; pass the contents with string=');
  if (name.length >= FW_CFG_MAX_FILE_PATH) throw new QemuOptsError(`name too long (max. ${FW_CFG_MAX_FILE_PATH - 1} char)`);
  cfg.fwCfgFiles = cfg.fwCfgFiles.filter((f) => f.name !== name);
  cfg.fwCfgFiles.push({ name, data: str! });
}

function checkNetdevType(type: string): void {
  if (type === 'user') return;
  if (UNMODELLED_NETDEVS.includes(type)) throw new QemuOptsError(`netdev type '${type}' is not modelled; only 'user' is available`);
  throw new QemuOptsError(`Parameter 'type' does not accept value '${type}'`);
}
