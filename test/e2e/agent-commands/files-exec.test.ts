/**
 * guest-file-* and guest-exec/guest-exec-status on the full default machine: handles,
 * stdio buffering and seeking as qemu-ga 7.2 has them, processes with input, environment,
 * exit codes and signals, and what reaches the disks below (the IDE disk under /srv, the
 * SATA disk under /data).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVES, b64, execWait, sh, spyWrites, startVm, unb64, type Vm } from './helpers.js';

let v: Vm;
beforeAll(async () => {
  v = await startVm();
}, 30_000);
afterAll(async () => {
  await v?.close();
});

describe('guest-file-open/write/flush/seek/read/close', () => {
  it('a round trip on /srv: handles count from 1000, writes sit in the stdio buffer until flush, seek and read see them', async () => {
    const h = await v.qga.guestFileOpen({ path: '/srv/qga-file.txt', mode: 'w+' });
    expect(h).toBe(1000);
    expect(await v.qga.guestFileWrite({ handle: h, 'buf-b64': b64('hello world\n') })).toEqual({ count: 12, eof: false });
    // qemu-ga writes through a FILE*: another process sees nothing before guest-file-flush,
    expect((await sh(v.qga, 'cat /srv/qga-file.txt')).out).toBe('');
    await expect(v.qga.guestFileFlush({ handle: h })).resolves.toBeUndefined();
    // and everything after.
    expect((await sh(v.qga, 'cat /srv/qga-file.txt')).out).toBe('hello world\n');

    expect(await v.qga.guestFileSeek({ handle: h, offset: 6, whence: 'set' })).toEqual({ position: 6, eof: false });
    const r = await v.qga.guestFileRead({ handle: h, count: 100 });
    expect(r).toMatchObject({ count: 6, eof: true });
    expect(unb64(r['buf-b64'])).toBe('world\n');
    expect(await v.qga.guestFileSeek({ handle: h, offset: -6, whence: 'end' })).toEqual({ position: 6, eof: false });
    expect(await v.qga.guestFileSeek({ handle: h, offset: -1, whence: 'cur' })).toEqual({ position: 5, eof: false });
    expect(await v.qga.guestFileWrite({ handle: h, 'buf-b64': b64(',') })).toEqual({ count: 1, eof: false });
    await v.qga.guestFileSeek({ handle: h, offset: 0, whence: 'set' });
    expect(unb64((await v.qga.guestFileRead({ handle: h }))['buf-b64'])).toBe('hello,world\n');
    await expect(v.qga.guestFileClose({ handle: h })).resolves.toBeUndefined();

    // Closed handles are gone; new ones are never reused.
    await expect(v.qga.guestFileRead({ handle: h, count: 1 })).rejects.toThrow("handle '1000' has not been found");
    const h2 = await v.qga.guestFileOpen({ path: '/srv/qga-file.txt' });
    expect(h2).toBe(1001);
    expect(unb64((await v.qga.guestFileRead({ handle: h2 }))['buf-b64'])).toBe('hello,world\n');
    await v.qga.guestFileClose({ handle: h2 });
  });

  it('written data reaches the IDE disk under /srv once synced', async () => {
    const spy = spyWrites(v.image(DRIVES.ide));
    const marker = 'qga-sim marker 4f7c1e';
    const h = await v.qga.guestFileOpen({ path: '/srv/on-disk.txt', mode: 'w' });
    await v.qga.guestFileWrite({ handle: h, 'buf-b64': b64(marker) });
    await v.qga.guestFileClose({ handle: h });
    expect((await sh(v.qga, 'sync')).code).toBe(0);
    spy.stop();
    expect(spy.text()).toContain(marker);
  });

  it('errors as qemu-ga reports them: a missing file, a bad mode, an unknown handle', async () => {
    await expect(v.qga.guestFileOpen({ path: '/nope/x' })).rejects.toThrow("failed to open file '/nope/x' (mode: 'r'): No such file or directory");
    await expect(v.qga.guestFileOpen({ path: '/srv/x', mode: 'q' })).rejects.toThrow(/mode/);
    await expect(v.qga.guestFileClose({ handle: 4242 })).rejects.toThrow("handle '4242' has not been found");
  });
});

describe('guest-exec / guest-exec-status', () => {
  it('feeds input-data to stdin and captures stdout', async () => {
    const { pid } = await v.qga.guestExec({ path: '/bin/cat', 'input-data': b64('fed through stdin\n'), 'capture-output': true });
    const st = await execWait(v.qga, pid);
    expect(st).toMatchObject({ exited: true, exitcode: 0, 'out-truncated': false });
    expect(unb64(st['out-data'])).toBe('fed through stdin\n');
  });

  it('runs with exactly the environment given, as root', async () => {
    const env = await execWait(v.qga, (await v.qga.guestExec({ path: '/usr/bin/env', env: ['FOO=bar', 'LANG=C'], 'capture-output': true })).pid);
    expect(unb64(env['out-data'])).toBe('FOO=bar\nLANG=C\n');
    const id = await execWait(v.qga, (await v.qga.guestExec({ path: '/usr/bin/id', 'capture-output': true })).pid);
    expect(unb64(id['out-data'])).toBe('uid=0(root) gid=0(root) groups=0(root)\n');
  });

  it('reports the exit code with stderr, and a terminating signal instead of an exit code', async () => {
    const failed = await execWait(v.qga, (await v.qga.guestExec({ path: '/bin/sh', arg: ['-c', 'echo oops >&2; exit 3'], 'capture-output': true })).pid);
    expect(failed).toMatchObject({ exited: true, exitcode: 3 });
    expect(unb64(failed['err-data'])).toBe('oops\n');
    const killed = await execWait(v.qga, (await v.qga.guestExec({ path: '/bin/sh', arg: ['-c', 'kill -TERM $$'] })).pid);
    expect(killed).toEqual({ exited: true, signal: 15 });
  });

  it('is running until it exits; a reported exit is forgotten; unknown pids are refused', async () => {
    const { pid } = await v.qga.guestExec({ path: '/bin/sh', arg: ['-c', 'read line; echo "got $line"'], 'input-data': b64('x\n'), 'capture-output': true });
    const st = await execWait(v.qga, pid);
    expect(unb64(st['out-data'])).toBe('got x\n');
    await expect(v.qga.guestExecStatus({ pid })).rejects.toThrow("Invalid parameter 'pid'");
    await expect(v.qga.guestExecStatus({ pid: 99999 })).rejects.toThrow("Invalid parameter 'pid'");
    // Virtual time races through sleeps, so the process waits for a file the host creates.
    const waiter = await v.qga.guestExec({ path: '/bin/sh', arg: ['-c', 'while [ ! -e /run/go ]; do sleep 0.01; done'] });
    expect(await v.qga.guestExecStatus(waiter)).toEqual({ exited: false });
    expect(await v.qga.guestExecStatus(waiter)).toEqual({ exited: false });
    await v.qga.guestFileClose({ handle: await v.qga.guestFileOpen({ path: '/run/go', mode: 'w' }) });
    expect(await execWait(v.qga, waiter.pid)).toEqual({ exited: true, exitcode: 0 });
  });

  it('a command\'s writes reach the SATA disk under /data, synced with its flush', async () => {
    const spy = spyWrites(v.image(DRIVES.sata));
    const flushes = v.image(DRIVES.sata).stats().flushes;
    const r = await sh(v.qga, 'echo exec-wrote-this > /data/from-exec && sync && cat /data/from-exec');
    spy.stop();
    expect(r).toEqual({ code: 0, out: 'exec-wrote-this\n', err: '' });
    expect(spy.text()).toContain('exec-wrote-this\n');
    expect(v.image(DRIVES.sata).stats().flushes).toBeGreaterThan(flushes);
  });
});
