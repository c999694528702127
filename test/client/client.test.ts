import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentProtocol, qgaGenericError } from '../../src/agent/protocol/index.js';
import {
  QgaClient,
  QgaClientError,
  QgaConnectionError,
  QgaTimeoutError,
  connectQga,
  pipeTransport,
  type QgaTransport,
} from '../../src/client/index.js';
import { Prng } from '../../src/core/prng.js';
import { agentHarness, sleep, type Block } from './harness.js';

const FIRST_ID = new Prng(1).nextU32();

describe('typed methods over a chardev pipe', () => {
  it('syncs first, then runs commands with typed results', async () => {
    const h = await agentHarness({
      handlers: {
        'guest-file-open': (a) => (a.path === '/etc/hostname' ? 1000 : 0),
        'guest-get-time': () => 1_700_000_000_123_456_789n,
        'guest-get-memory-blocks': () => [{ 'phys-index': 3, online: true, 'can-offline': false }],
        'guest-file-seek': (a) => ({ position: a.offset, eof: a.whence === 'end' }),
        'guest-file-read': () => {
          throw qgaGenericError("handle '7' has not been found");
        },
      },
    });
    const c = await connectQga(h.host);
    expect(c.synced).toBe(false);
    expect(await c.guestFileOpen({ path: '/etc/hostname', mode: 'r' })).toBe(1000);
    expect(c.synced).toBe(true);
    expect(h.received()).toBe(
      `<FF>{"execute": "guest-sync-delimited", "arguments": {"id": ${FIRST_ID}}}` +
        '{"execute": "guest-file-open", "arguments": {"mode": "r", "path": "/etc/hostname"}}',
    );
    expect(await c.guestPing()).toBeUndefined();
    expect(await c.guestSync({ id: 2n ** 62n })).toBe(2n ** 62n);
    expect(await c.guestGetTime()).toBe(1_700_000_000_123_456_789n);
    expect(await c.guestGetMemoryBlocks()).toEqual([{ online: true, 'can-offline': false, 'phys-index': 3 }]);
    expect(await c.guestFileSeek({ handle: 1000, offset: 6, whence: 'set' })).toEqual({ eof: false, position: 6 });
    const info = await c.guestInfo();
    expect(info.version).toBe('7.2.13');
    expect(info.supported_commands).toHaveLength(31);
    const e = await c.guestFileRead({ handle: 7 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(QgaClientError);
    expect(e).toMatchObject({ class: 'GenericError', desc: "handle '7' has not been found", command: 'guest-file-read' });
    await expect(c.execute('guest-nope')).rejects.toMatchObject({ errorClass: 'CommandNotFound', desc: 'The command guest-nope has not been found' });
    expect(await c.execute('guest-sync', { id: 4 })).toBe(4);
    // One sync for the whole session.
    expect(h.received().split('guest-sync-delimited')).toHaveLength(2);
    c.close();
  });

  it('draws sync ids from the seeded generator, so runs repeat byte for byte', async () => {
    const runs: string[] = [];
    for (let i = 0; i < 2; i++) {
      const h = await agentHarness();
      const c = new QgaClient(pipeTransport(h.host), { seed: 'qga', syncEveryCommand: true });
      await c.guestPing();
      await c.guestPing();
      runs.push(h.received());
      c.close();
    }
    expect(runs[0]).toBe(runs[1]);
    const p = new Prng('qga');
    expect(runs[0]).toContain(`{"id": ${p.nextU32()}}`);
    expect(runs[0]).toContain(`{"id": ${p.nextU32()}}`);
  });
});

describe('resynchronisation', () => {
  it('skips garbage before the sentinel and stale replies after one', async () => {
    const h = await agentHarness();
    // A previous client's leftovers: a whole reply, an old sentinel reply, half a reply.
    h.inject('{"return": {}}\n<FF>{"return": 424242}\n{"return": {"x": [1, ');
    const c = new QgaClient(pipeTransport(h.host));
    expect(await c.guestSync({ id: 77 })).toBe(77);
    c.close();
  });

  it('does not take an error reply after the sentinel for the sync reply', async () => {
    const h = await agentHarness();
    h.inject('<FF>{"error": {"class": "GenericError", "desc": "stale"}}\n@@');
    const c = new QgaClient(pipeTransport(h.host));
    await c.sync();
    expect(c.synced).toBe(true);
    expect(await c.guestSync({ id: 1 })).toBe(1);
    c.close();
  });

  it('works against a 2.5 agent, whose complaint about 0xFF differs', async () => {
    const h = await agentHarness({ profile: '2.5' });
    const c = new QgaClient(pipeTransport(h.host), { profile: '2.5' });
    expect((await c.guestInfo()).version).toBe('2.5.0');
    c.close();
  });

  it('times out a sync whose sentinel never comes (guest-sync-delimited blocked)', async () => {
    const h = await agentHarness({ blockRpcs: ['guest-sync-delimited'] });
    const c = new QgaClient(pipeTransport(h.host), { syncTimeoutMs: 40 });
    await expect(c.guestPing()).rejects.toBeInstanceOf(QgaTimeoutError);
    c.close();
  });
});

describe('custom transports', () => {
  /** An engine answering from inside write(), optionally one byte per data event. */
  function direct(proto: AgentProtocol, bytewise: boolean): QgaTransport {
    let onData: (b: Uint8Array) => void = () => undefined;
    return {
      write: (b) => {
        const out = proto.process(b);
        if (!bytewise) onData(out);
        else for (const x of out) onData(new Uint8Array([x]));
      },
      onData: (l) => {
        onData = l;
      },
      onClose: () => undefined,
      close: () => undefined,
    };
  }

  it.each([false, true])('work when replies come synchronously (byte by byte: %s)', async (bytewise) => {
    const c = new QgaClient(direct(new AgentProtocol({ handlers: { 'guest-fsfreeze-status': () => 'thawed' } }), bytewise));
    expect(await c.guestFsfreezeStatus()).toBe('thawed');
    expect(await c.guestSync({ id: -1 })).toBe(-1);
    await expect(c.execute('guest-sync')).rejects.toMatchObject({ desc: "Parameter 'id' is missing" });
  });
});

describe('timeouts', () => {
  it('rejects a late command, then resyncs past its late reply', async () => {
    const h = await agentHarness({
      handlers: {
        *'guest-get-time'() {
          const t = yield { op: 'clock_gettime' } satisfies Block;
          return t as number;
        },
      },
    });
    const c = new QgaClient(pipeTransport(h.host));
    const late = c.guestGetTime({ timeoutMs: 40 });
    await expect(late).rejects.toMatchObject({ name: 'QgaTimeoutError', command: 'guest-get-time', timeoutMs: 40 });
    expect(c.synced).toBe(false);
    const ping = c.guestSync({ id: 9 });
    await sleep(10);
    expect(h.blocked()).toBe(true);
    // The agent finishes the old command now: its reply reaches the client first.
    h.resume(123);
    expect(await ping).toBe(9);
    expect(h.received().split('guest-sync-delimited')).toHaveLength(3);
  });
});

describe('commands without a reply on success', () => {
  it('complete when the caller learns of the effect', async () => {
    let shutdowns = 0;
    const h = await agentHarness({ handlers: { 'guest-shutdown': () => void shutdowns++ } });
    const c = new QgaClient(pipeTransport(h.host), { noResponseTimeoutMs: 60_000 });
    let seen!: () => void;
    const event = new Promise<void>((r) => (seen = r));
    const done = c.guestShutdown({ mode: 'powerdown' }, { waitFor: () => event });
    await sleep(5);
    expect(shutdowns).toBe(1);
    seen();
    await done;
    expect(c.synced).toBe(false);
    expect(await c.guestPing()).toBeUndefined();
    c.close();
  });

  it('complete after the timeout when no error came, fail on an error reply', async () => {
    const h = await agentHarness({ handlers: { 'guest-suspend-ram': () => undefined }, blockRpcs: ['guest-shutdown'] });
    const c = new QgaClient(pipeTransport(h.host));
    const t0 = Date.now();
    await c.guestSuspendRam({ timeoutMs: 30 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25);
    await expect(c.guestShutdown()).rejects.toMatchObject({
      errorClass: 'CommandNotFound',
      desc: 'Command guest-shutdown has been disabled',
    });
    expect(c.synced).toBe(true);
    await expect(c.guestSuspendDisk({ waitFor: () => Promise.reject(new Error('no SUSPEND event')) })).rejects.toThrow('no SUSPEND event');
    c.close();
  });

  it('complete when the connection goes away', async () => {
    const h = await agentHarness({ handlers: { 'guest-shutdown': () => undefined } });
    const c = new QgaClient(pipeTransport(h.host), { noResponseTimeoutMs: 60_000 });
    const done = c.guestShutdown({ mode: 'halt' });
    await sleep(5);
    h.chardev.disconnect();
    await done;
    await expect(c.guestPing()).rejects.toBeInstanceOf(QgaConnectionError);
  });
});

describe('connection', () => {
  it('fails pending and later calls when closed', async () => {
    const h = await agentHarness({
      handlers: {
        *'guest-get-time'() {
          yield { op: 'block' } satisfies Block;
          return 1;
        },
      },
    });
    const c = new QgaClient(pipeTransport(h.host));
    const p = c.guestGetTime();
    await sleep(5);
    h.chardev.disconnect();
    await expect(p).rejects.toBeInstanceOf(QgaConnectionError);
    expect(c.closed).toBe(true);
    await expect(c.guestPing()).rejects.toThrow('closed');
  });

  describe('over a unix socket', () => {
    let server: Server | undefined;
    afterEach(() => server?.close());

    it('connects by path and by "host:port"', async () => {
      server = createServer((sock) => {
        const proto = new AgentProtocol({ write: (b) => void sock.write(b) });
        sock.on('data', (b) => {
          proto.feed(new Uint8Array(b));
          proto.process(new Uint8Array(0));
        });
      });
      const path = join(mkdtempSync(join(tmpdir(), 'qga-')), 'qga.sock');
      await new Promise<void>((r) => server!.listen(path, r));
      const c = await connectQga(path, { syncOnConnect: true });
      expect(c.synced).toBe(true);
      expect(await c.guestSync({ id: 31 })).toBe(31);
      c.close();
      server.close();
      server = createServer((sock) => {
        const proto = new AgentProtocol({ profile: '2.5', write: (b) => void sock.write(b) });
        sock.on('data', (b) => void proto.process(new Uint8Array(b)));
      });
      await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
      const port = (server.address() as { port: number }).port;
      const t = await connectQga(`127.0.0.1:${port}`);
      expect((await t.guestInfo()).supported_commands).toHaveLength(31);
      t.close();
      await expect(connectQga(join(tmpdir(), 'no-such-qga.sock'))).rejects.toBeInstanceOf(QgaConnectionError);
    });
  });
});
