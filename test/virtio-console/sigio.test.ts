/**
 * Linux virtio_console's send_sigio_to_port: a port opened with O_ASYNC and an F_SETOWN
 * owner raises SIGIO on host PORT_OPEN (connect and disconnect), on incoming data and on
 * removal, and only while the process has it open. It is how a process waits for the
 * host, since read() is EOF and poll() POLLHUP while the host is away.
 */
import { describe, expect, it } from 'vitest';
import { F_SETFL, F_SETOWN, O_ASYNC, O_NONBLOCK, O_RDWR, POLLHUP, SIGIO } from '../../src/guest/kernel/index.js';
import { AGENT_PORT, bootConsoleRig, errCode, hostOf, spawnScript } from './harness.js';

const PORT = `/dev/virtio-ports/${AGENT_PORT}`;

describe('virtio-console: SIGIO for O_ASYNC openers (send_sigio_to_port)', () => {
  it('raises SIGIO on host connect, data and disconnect', async () => {
    const rig = await bootConsoleRig();
    const seen: string[] = [];
    let fd = -1;
    spawnScript(rig, 'waiter', function* (sys) {
      sys.signal(SIGIO, () => seen.push(`SIGIO host=${rig.port(1).hostConnected}`));
      fd = yield* sys.open(PORT, O_RDWR | O_NONBLOCK);
      sys.fcntl(fd, F_SETOWN, sys.getpid());
      sys.fcntl(fd, F_SETFL, O_NONBLOCK | O_ASYNC);
      const pfd = { fd, events: 0, revents: 0 };
      yield* sys.poll([pfd], 0);
      seen.push(`hup=${(pfd.revents & POLLHUP) !== 0}`);
      for (;;) {
        try {
          yield* sys.pause();
        } catch (e) {
          if (errCode(e) !== 'EINTR') throw e;
          seen.push('woke');
        }
      }
    });
    await rig.until(() => fd >= 0, 'the port open');
    await rig.step(5);
    const h = hostOf(rig);
    h.connect();
    await rig.until(() => seen.length >= 3, 'SIGIO on connect');
    h.write('x');
    await rig.until(() => seen.length >= 5, 'SIGIO on data');
    h.disconnect();
    await rig.until(() => seen.length >= 7, 'SIGIO on disconnect');
    expect(seen).toEqual(['hup=true', 'SIGIO host=true', 'woke', 'SIGIO host=true', 'woke', 'SIGIO host=false', 'woke']);
  });

  it('stays quiet for an opener that did not ask (no O_ASYNC), and after close', async () => {
    const rig = await bootConsoleRig();
    const seen: string[] = [];
    let stage = 0;
    spawnScript(rig, 'plain', function* (sys) {
      sys.signal(SIGIO, () => seen.push('SIGIO'));
      const fd = yield* sys.open(PORT, O_RDWR | O_NONBLOCK);
      sys.fcntl(fd, F_SETOWN, sys.getpid());
      stage = 1;
      yield* sys.sleep(50e6);
      sys.fcntl(fd, F_SETFL, O_ASYNC);
      sys.close(fd);
      stage = 2;
      yield* sys.sleep(1e9);
    });
    await rig.until(() => stage === 1, 'open');
    const h = hostOf(rig);
    h.connect();
    await rig.step(20);
    await rig.until(() => stage === 2, 'closed');
    h.disconnect();
    await rig.step(20);
    expect(seen).toEqual([]);
  });
});
