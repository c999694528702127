// Logged-in users: login -f records the session in utmp (glibc's struct utmp), who lists it, logout marks it dead.
import { describe, expect, it } from 'vitest';
import { UT_DEAD_PROCESS, UT_USER_PROCESS, decodeUtmp } from '../../src/guest/programs/lib/utmp.js';
import { bootDebian, run } from './helpers.js';

describe('login and who', () => {
  it('shows the user while the session runs and marks the record dead after logout', () => {
    const b = bootDebian();
    b.kernel.setRealtime({ sec: 1_700_000_000, nsec: 0 });
    const r = run(b, ['login', '-f', 'user', '-t', 'tty1'], { input: 'id -un\nwho\n' });
    expect(r.code).toBe(0);
    expect(r.out).toBe('user\nuser     tty1         2023-11-14 22:13\n');
    const recs = decodeUtmp(b.kernel.readFile('/var/run/utmp'));
    expect(recs).toHaveLength(1);
    expect(recs[0]?.type).toBe(UT_DEAD_PROCESS);
    expect(recs[0]?.line).toBe('tty1');
    expect(UT_USER_PROCESS).toBe(7);
    expect(run(b, ['who']).out).toBe('');
  });

  it('refuses password-less login for an ordinary user', () => {
    const b = bootDebian();
    const r = run(b, ['login', '-f', 'root'], { uid: 1000, gid: 1000 });
    expect(r.code).toBe(1);
    expect(r.err).toContain('only root');
  });
});
