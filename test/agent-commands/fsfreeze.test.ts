/** guest-fsfreeze-* and guest-fstrim through FIFREEZE/FITHAW/FITRIM on each block-backed mount. */
import { describe, expect, it } from 'vitest';
import type { Booted } from '../guest-programs/helpers.js';
import { expectNoFaults, readGuest } from '../guest-programs/helpers.js';
import { FakeDiskFs, errorOf, startAgent, type FakeDiskFsOptions } from './helpers.js';

/** Two disks mounted /mnt/a then /mnt/b (major 254), plus whatever `more` adds. */
function withDisks(log: string[], a: FakeDiskFsOptions = {}, b: FakeDiskFsOptions = {}): (k: Booted) => void {
  return (k) => {
    new FakeDiskFs(k, '/mnt/a', 254, 1, log, a);
    new FakeDiskFs(k, '/mnt/b', 254, 2, log, b);
  };
}

const disabled = (cmd: string): string => `{"error": {"class": "CommandNotFound", "desc": "Command ${cmd} has been disabled: the agent is in frozen state"}}\n`;

describe('guest-fsfreeze-freeze / thaw / status', () => {
  it('freezes in reverse mount order, enters the frozen state (marker file, commands disabled), thaws in order', () => {
    const log: string[] = [];
    const a = startAgent({ setup: withDisks(log) });
    expect(a.ask('{"execute":"guest-fsfreeze-status"}')).toBe('{"return": "thawed"}\n');
    expect(a.ask('{"execute":"guest-fsfreeze-freeze"}')).toBe('{"return": 2}\n');
    expect(log).toEqual(['freeze /mnt/b', 'freeze /mnt/a']);
    expect(a.call('guest-fsfreeze-status').return).toBe('frozen');
    expect(a.kernel.stat('/var/run/qga.state.isfrozen').mode & 0o777).toBe(0o600);
    expect(a.ask('{"execute":"guest-file-open","arguments":{"path":"/etc/hostname"}}')).toBe(disabled('guest-file-open'));
    expect(a.ask('{"execute":"guest-fsfreeze-freeze"}')).toBe(disabled('guest-fsfreeze-freeze'));
    expect(a.call('guest-ping').return).toEqual({});
    expect(a.ask('{"execute":"guest-fsfreeze-thaw"}')).toBe('{"return": 2}\n');
    expect(log.slice(2)).toEqual(['thaw /mnt/a', 'thaw /mnt/b']);
    expect(a.call('guest-fsfreeze-status').return).toBe('thawed');
    expect(() => a.kernel.stat('/var/run/qga.state.isfrozen')).toThrow('No such file or directory');
    expect(a.call('guest-file-open', { path: '/etc/hostname' }).return).toBe(1000);
    // Nothing frozen any more: thaw counts nothing (FITHAW fails with EINVAL at once).
    expect(a.call('guest-fsfreeze-thaw').return).toBe(0);
    expectNoFaults(a);
  });

  it('skips filesystems without freeze support; 7.2 leaves the frozen state when nothing froze, 2.5 does not', () => {
    const log: string[] = [];
    const a = startAgent({ setup: withDisks(log, { noFreeze: true }, { noFreeze: true }) });
    expect(a.call('guest-fsfreeze-freeze').return).toBe(0);
    expect(a.call('guest-fsfreeze-status').return).toBe('thawed');
    const old = startAgent({ profile: '2.5', setup: withDisks([], { noFreeze: true }, { noFreeze: true }) });
    expect(old.call('guest-fsfreeze-freeze').return).toBe(0);
    expect(old.call('guest-fsfreeze-status').return).toBe('frozen');
    // Only virtual filesystems (major 0): nothing to freeze at all.
    const bare = startAgent();
    expect(bare.call('guest-fsfreeze-freeze').return).toBe(0);
    expect(bare.call('guest-fsfreeze-thaw').return).toBe(0);
  });

  it('freeze-list: only the mountpoints named (exact match); unknown ones are ignored', () => {
    const log: string[] = [];
    const a = startAgent({ setup: withDisks(log) });
    expect(a.call('guest-fsfreeze-freeze-list', { mountpoints: ['/mnt/a', '/nowhere', '/mnt/a/'] }).return).toBe(1);
    expect(log).toEqual(['freeze /mnt/a']);
    expect(a.call('guest-fsfreeze-thaw').return).toBe(1);
    expect(a.call('guest-fsfreeze-freeze-list', { mountpoints: [] }).return).toBe(0);
    expect(a.call('guest-fsfreeze-status').return).toBe('thawed');
    expect(a.call('guest-fsfreeze-freeze-list').return).toBe(2);
  });

  it('a failing FIFREEZE thaws what was frozen and reports "failed to freeze <dir>: <errno>"', () => {
    const log: string[] = [];
    const a = startAgent({ setup: withDisks(log, { freezeError: 'EIO' }) });
    expect(errorOf(a.call('guest-fsfreeze-freeze'))).toBe('failed to freeze /mnt/a: Input/output error');
    expect(log).toEqual(['freeze /mnt/b', 'freeze /mnt/a', 'thaw /mnt/b']);
    expect(a.call('guest-fsfreeze-status').return).toBe('thawed');
  });

  it('EBUSY (already frozen by someone else) is skipped by 7.2 but an error in 2.5', () => {
    let fa: FakeDiskFs | undefined;
    const setup = (k: Booted): void => {
      fa = new FakeDiskFs(k, '/mnt/a', 254, 1, []);
      fa.frozen = true;
    };
    const a = startAgent({ setup });
    expect(a.call('guest-fsfreeze-freeze').return).toBe(0);
    const old = startAgent({ profile: '2.5', setup });
    expect(errorOf(old.call('guest-fsfreeze-freeze'))).toBe('failed to freeze /mnt/a: Device or resource busy');
    // The error path thawed everything, including the filesystem someone else froze.
    expect(fa!.frozen).toBe(false);
  });

  it('an agent started with qga.state.isfrozen present comes up frozen until thawed', () => {
    const a = startAgent({ setup: (k) => k.kernel.writeFile('/var/run/qga.state.isfrozen', '') });
    expect(a.call('guest-fsfreeze-status').return).toBe('frozen');
    expect(a.ask('{"execute":"guest-get-time"}')).toBe(disabled('guest-get-time'));
    expect(a.call('guest-fsfreeze-thaw').return).toBe(0);
    expect(a.call('guest-fsfreeze-status').return).toBe('thawed');
    expect(typeof a.call('guest-get-time').return).toBe('number');
  });
});

describe('fsfreeze hook (-F)', () => {
  const hook = '#!/bin/sh\necho "$1" >> /tmp/hook.log\nexit ${HOOK_STATUS:-0}\n';

  it('runs "<hook> freeze" before freezing and "<hook> thaw" after thawing', () => {
    const a = startAgent({ args: ['-F/etc/qemu/fsfreeze-hook'], setup: (k) => k.kernel.writeFile('/etc/qemu/fsfreeze-hook', hook, 0o755) });
    expect(a.call('guest-fsfreeze-freeze').return).toBe(0);
    expect(a.call('guest-fsfreeze-thaw').return).toBe(0);
    expect(readGuest(a, '/tmp/hook.log')).toBe('freeze\nthaw\n');
  });

  it('failures: missing hook, non-zero exit', () => {
    const a = startAgent({ args: ['--fsfreeze-hook=/etc/qemu/nope'] });
    expect(errorOf(a.call('guest-fsfreeze-freeze'))).toBe("can't access fsfreeze hook '/etc/qemu/nope': No such file or directory");
    expect(a.call('guest-fsfreeze-status').return).toBe('thawed');
    const b = startAgent({ args: ['-F'], setup: (k) => k.kernel.writeFile('/etc/qemu/fsfreeze-hook', '#!/bin/sh\nexit 3\n', 0o755) });
    expect(errorOf(b.call('guest-fsfreeze-freeze'))).toBe('fsfreeze hook has failed with status 3');
  });
});

describe('guest-fstrim', () => {
  it('7.2: FITRIM {0, ULLONG_MAX, minimum} per mount, results in reverse mount order with per-path errors', () => {
    const log: string[] = [];
    const a = startAgent({
      setup: (k) => {
        new FakeDiskFs(k, '/mnt/a', 254, 1, log, { trimmed: 8192n });
        new FakeDiskFs(k, '/mnt/b', 254, 2, log, { trim: 'none' });
        new FakeDiskFs(k, '/mnt/c', 254, 3, log, { trim: 'EIO' });
        new FakeDiskFs(k, '/mnt/d', 254, 4, log, { trim: 'EOPNOTSUPP' });
      },
    });
    expect(a.ask({ execute: 'guest-fstrim', arguments: { minimum: 65536 } })).toBe(
      '{"return": {"paths": [' +
        '{"path": "/mnt/d", "error": "trim not supported"}, ' +
        '{"path": "/mnt/c", "error": "failed to trim: Input/output error"}, ' +
        '{"path": "/mnt/b", "error": "trim not supported"}, ' +
        '{"minimum": 65536, "path": "/mnt/a", "trimmed": 8192}]}}\n',
    );
    expect(log).toEqual(['trim /mnt/a start=0 len=18446744073709551615 minlen=65536']);
    expect(a.call('guest-fstrim').return).toEqual({ paths: [expect.anything(), expect.anything(), expect.anything(), { path: '/mnt/a', minimum: 4096, trimmed: 8192 }] });
  });

  it('1.2 returned nothing and failed on the first real error (QERR_QGA_COMMAND_FAILED); 1.5/2.2 with errno text', () => {
    const setup = (k: Booted): void => {
      new FakeDiskFs(k, '/mnt/a', 254, 1, [], { trim: 'ENOTTY' });
      new FakeDiskFs(k, '/mnt/b', 254, 2, [], { trim: 'EIO' });
    };
    expect(startAgent({ profile: '1.2', setup }).ask('{"execute":"guest-fstrim"}')).toBe(
      '{"error": {"class": "GenericError", "desc": "Guest agent command failed, error was \'failed to trim /mnt/b, Input/output error\'"}}\n',
    );
    expect(errorOf(startAgent({ profile: '2.2', setup }).call('guest-fstrim'))).toBe('failed to trim /mnt/b: Input/output error');
    expect(startAgent({ profile: '1.5', setup: (k) => void new FakeDiskFs(k, '/mnt/a', 254, 1, []) }).ask('{"execute":"guest-fstrim"}')).toBe('{"return": {}}\n');
  });
});
