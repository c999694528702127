/**
 * The qemu-ga program's command line and logging, per build. Texts checked against
 * Debian's qemu-ga 7.2 (`qemu-ga -D`, `-b help`, `-a`, `-v -l FILE`).
 */
import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { qemuGaProgram } from '../../src/agent/program/main.js';
import { parseQgaOptions, QgaUsageError } from '../../src/agent/program/options.js';
import { qgaProfile, type QgaProfileName } from '../../src/agent/schema/index.js';
import { createDefaultMachine } from '../../src/default-machine.js';
import { guestLoader } from '../../src/guest/loader.js';
import type { GuestOs } from '../../src/guest/boot.js';
import { boot } from '../guest-kernel/helpers.js';

/** Runs the `version` build with `args` in a bare kernel; its exit code, stdout and stderr. */
function run(version: QgaProfileName, args: string[]): { status: number | undefined; out: string; err: string } {
  const b = boot();
  b.kernel.installProgram('/usr/sbin/qemu-ga', qemuGaProgram(version), 'qemu-ga');
  const p = b.kernel.spawn('/usr/sbin/qemu-ga', ['qemu-ga', ...args], { stdout: 'pipe', stderr: 'pipe' });
  b.sched.run(undefined, 10_000);
  return { status: p.status === undefined ? undefined : p.status >> 8, out: p.stdout?.text() ?? '', err: p.stderr?.text() ?? '' };
}

describe('qemu-ga command line per build', () => {
  it('-V prints the build\'s version, whatever the machine', () => {
    expect(run('7.2', ['-V']).out).toBe('QEMU Guest Agent 7.2.13\n');
    expect(run('2.5', ['--version']).out).toBe('QEMU Guest Agent 2.5.0\n');
    expect(run('1.0', ['-V']).out).toBe('QEMU Guest Agent 1.0\n');
  });

  it('lists commands with -b help (7.2) or -b ? (older), in registration order', () => {
    const list72 = run('7.2', ['-b', 'help']).out.trimEnd().split('\n');
    expect(list72.slice(0, 3)).toEqual(['guest-sync-delimited', 'guest-sync', 'guest-ping']);
    expect(list72).toEqual(qgaProfile('7.2').commandOrder);
    const list25 = run('2.5', ['--blacklist=?']).out.trimEnd().split('\n');
    expect(list25.slice(0, 2)).toEqual(['guest-exec', 'guest-exec-status']);
    expect(list25).toHaveLength(31);
  });

  it('refuses -a/--allow-rpcs as 7.2 does (it came with 8.0), and --block-rpcs before 7.2', () => {
    expect(run('7.2', ['-a', 'guest-ping'])).toEqual({
      status: 1,
      out: '',
      err: "qemu-ga: invalid option -- 'a'\nUnknown option, try 'qemu-ga --help' for more information.\n",
    });
    expect(run('7.2', ['--allow-rpcs=guest-ping']).err).toBe(
      "qemu-ga: unrecognized option '--allow-rpcs=guest-ping'\nUnknown option, try 'qemu-ga --help' for more information.\n",
    );
    expect(run('7.2', ['-b']).err).toBe("qemu-ga: option requires an argument -- 'b'\nUnknown option, try 'qemu-ga --help' for more information.\n");
    expect(run('2.5', ['--block-rpcs', 'guest-ping']).err).toContain("unrecognized option '--block-rpcs'");
    expect(run('2.2', ['-r']).err).toContain("invalid option -- 'r'");
  });

  it('dumps its configuration with -D (block list reversed, as GLib prepends)', () => {
    expect(run('7.2', ['-D', '-b', 'guest-ping,guest-info', '-l', '/tmp/x.log', '-v', '-F', '-t', '/tmp', '-r']).out).toBe(
      '[general]\ndaemon=false\nmethod=virtio-serial\npath=/dev/virtio-ports/org.qemu.guest_agent.0\nlogfile=/tmp/x.log\n' +
        'pidfile=/var/run/qemu-ga.pid\nfsfreeze-hook=/etc/qemu/fsfreeze-hook\nstatedir=/tmp\nverbose=true\nretry-path=true\n' +
        'block-rpcs=guest-info,guest-ping\n',
    );
    expect(run('7.2', ['-D']).out).toContain('\nverbose=false\nretry-path=false\nblock-rpcs=\n');
  });

  it('parses getopt forms: attached values, --opt=value, -F with an optional attached argument', () => {
    const p = qgaProfile('7.2');
    const o = parseQgaOptions(['-pX', '--statedir=/s', '-F/hook', '-bguest-ping', '--blacklist', 'guest-info', 'stray-word'], p);
    expect([o.path, o.stateDir, o.fsfreezeHook, o.blockRpcs]).toEqual(['X', '/s', '/hook', ['guest-ping', 'guest-info']]);
    expect(() => parseQgaOptions(['--verbose=1'], p)).toThrow(QgaUsageError);
    expect(parseQgaOptions(['-vdb', 'guest-ping'], p)).toMatchObject({ verbose: true, daemonize: true, blockRpcs: ['guest-ping'] });
    expect(() => parseQgaOptions(['-vx'], p)).toThrow("invalid option -- 'x'");
    expect(() => parseQgaOptions(['-m', 'unix-listen'], p)).toThrow('unsupported channel method/type: unix-listen');
  });
});

describe('qemu-ga logging', () => {
  it('-v -l FILE: debug lines as `sec.usec: level: message`, blocked commands announced', async () => {
    const { machine: m, agent: host } = await createDefaultMachine({
      host: { guest: guestLoader({ qemuGaArgs: ['-v', '-l', '/var/log/qemu-ga.log', '-b', 'guest-info'] }) },
    });
    const got: Buffer[] = [];
    host.on('data', (d) => got.push(Buffer.from(d)));
    m.boot();
    m.sched.run(undefined, 100_000);
    host.connect();
    host.write('{"execute":"guest-ping"}');
    for (let i = 0; i < 200 && got.length === 0; i++) {
      await new Promise<void>((r) => setImmediate(r));
      m.sched.run(m.sched.now() + 1_000_000);
    }
    expect(Buffer.concat(got).toString()).toBe('{"return": {}}\n');
    const os = m.guest as GuestOs;
    const log = new TextDecoder().decode(os.kernel.readFile('/var/log/qemu-ga.log'));
    const lines = log.trimEnd().split('\n');
    for (const l of lines) expect(l).toMatch(/^\d+\.\d{6}: (debug|warning|error|critical|info|message): /);
    const msgs = lines.map((l) => l.replace(/^\d+\.\d{6}: /, ''));
    expect(msgs).toEqual([
      'debug: disabling command: guest-info',
      // No host yet: the port reads EOF once, then the agent sleeps until SIGIO.
      'debug: received EOF',
      'debug: read data, count: 24, data: {"execute":"guest-ping"}',
      'debug: sending data, count: 15',
    ]);
  });

  it('without -v only errors are logged; a log file that cannot be opened is fatal', () => {
    expect(run('7.2', ['-l', '/nonexistent-dir/qga.log'])).toMatchObject({
      status: 1,
      err: expect.stringMatching(/^\d+\.\d{6}: critical: unable to open specified log file: No such file or directory\n$/) as unknown,
    });
  });
});
