/** The command-line options of this area: -netdev, -nic, -object, -fw_cfg, and -device virtio-net-pci's property errors. */
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/args.js';
import { Machine } from '../../src/machine/machine.js';
import { FW_CFG_FILE_NETWORK } from '../../src/abi/net-config.js';
import { GuestFwCfg } from '../../src/guest/drivers/fw-cfg/reader.js';

const machineFrom = (argv: string[]) => new Machine(parseArgs(['-nodefaults', ...argv]).config);

describe('network and object options', () => {
  it('-netdev user and -device virtio-net-pci,netdev= peer them; -nic user,model=virtio-net-pci does both', () => {
    const cfg = parseArgs(['-netdev', 'user,id=n0', '-device', 'virtio-net-pci,netdev=n0,mac=52:54:00:00:00:09', '-nic', 'user,model=virtio-net-pci']).config;
    expect(cfg.netdevs).toEqual([
      { type: 'user', id: 'n0', props: [] },
      { type: 'user', id: '__org.qemu.nic0', props: [] },
    ]);
    expect(cfg.devices.map((d) => d.driver)).toEqual(['virtio-net-pci', 'virtio-net-pci']);
    expect(cfg.devices[1]!.props).toEqual([['netdev', '__org.qemu.nic0']]);
  });

  it('refuses what cannot be modelled or is malformed', () => {
    expect(() => parseArgs(['-netdev', 'user'])).toThrow("-netdev user: Parameter 'id' is missing");
    expect(() => parseArgs(['-netdev', 'bogus,id=x'])).toThrow("-netdev bogus,id=x: Parameter 'type' does not accept value 'bogus'");
    expect(() => parseArgs(['-netdev', 'tap,id=x'])).toThrow(/netdev type 'tap' is not modelled/);
    expect(() => parseArgs(['-nic', 'user'])).toThrow(/NIC model 'e1000' is not modelled/);
    expect(() => parseArgs(['-object', 'memory-backend-ram,size=1G'])).toThrow("Parameter 'id' is missing");
    expect(() => parseArgs(['-fw_cfg', 'name=opt/x'])).toThrow('invalid argument(s)');
  });

  it('-object memory-backend-ram and -fw_cfg reach the machine', () => {
    const cfg = parseArgs(['-m', '1G,slots=2,maxmem=4G', '-object', 'memory-backend-ram,id=mem0,size=512M', '-fw_cfg', 'name=opt/org.example/x,string=hello']).config;
    expect(cfg.objects).toEqual([{ qomType: 'memory-backend-ram', id: 'mem0', props: [['size', '512M']] }]);
    const m = new Machine(cfg);
    expect(m.memoryDevices.backends.get('mem0')?.size).toBe(512 * 1024 * 1024);
    expect(new TextDecoder().decode(new GuestFwCfg(m.cpuBus).file('opt/org.example/x', 100))).toBe('hello');
  });

  it('virtio-net-pci property errors use QEMU’s wording for the inner virtio-net-device', () => {
    expect(() => machineFrom(['-device', 'virtio-net-pci,netdev=nope'])).toThrow("Property 'virtio-net-device.netdev' can't find value 'nope'");
    expect(() => machineFrom(['-netdev', 'user,id=n', '-device', 'virtio-net-pci,netdev=n', '-device', 'virtio-net-pci,netdev=n'])).toThrow(
      "Property 'virtio-net-device.netdev' can't take value 'n', it's in use",
    );
    expect(() => machineFrom(['-device', 'virtio-net-pci,mac=zz'])).toThrow("Property 'virtio-net-device.mac' doesn't take value 'zz'");
  });

  it('publishes the user network’s addresses in fw_cfg for each NIC on it; a user -fw_cfg file of that name wins', () => {
    const m = machineFrom(['-nic', 'user,model=virtio-net-pci', '-nic', 'user,model=virtio-net-pci,mac=52:54:00:aa:bb:cc']);
    const text = new TextDecoder().decode(new GuestFwCfg(m.cpuBus).file(FW_CFG_FILE_NETWORK, 4096));
    expect(text).toBe('52:54:00:12:34:56 10.0.2.15/24 fec0::5054:ff:fe12:3456/64 gw=10.0.2.2\n52:54:00:aa:bb:cc 10.0.2.15/24 fec0::5054:ff:feaa:bbcc/64 gw=10.0.2.2\n');
    const own = machineFrom(['-nic', 'user,model=virtio-net-pci', '-fw_cfg', `name=${FW_CFG_FILE_NETWORK},string=52:54:00:12:34:56 192.168.1.2/24`]);
    expect(new TextDecoder().decode(new GuestFwCfg(own.cpuBus).file(FW_CFG_FILE_NETWORK, 4096))).toBe('52:54:00:12:34:56 192.168.1.2/24');
  });
});
