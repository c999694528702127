import { existsSync, promises as fsp, statSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CHARDEV_WRITE_HIGH_WATER,
  ChardevError,
  SocketChardev,
  createChardevFromOptions,
  type Chardev,
  type SocketChardevOptions,
} from '../../src/chardev/index.js';
import { Collector, bytes, connectTo, makeTmpDir, nextEvent, removeTmpDir, sleep, text, until, within } from './helpers.js';

let dir: string;
const cleanups: (() => Promise<void> | void)[] = [];

beforeEach(async () => {
  dir = await makeTmpDir();
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await removeTmpDir(dir);
});

function track<T extends Chardev>(chr: T): T {
  cleanups.push(() => chr.close());
  return chr;
}

function trackSocket(s: net.Socket): net.Socket {
  cleanups.push(() => {
    s.destroy();
  });
  return s;
}

function unixServer(name: string, extra: Partial<SocketChardevOptions> = {}): SocketChardev {
  return track(new SocketChardev(name, { address: { type: 'unix', path: path.join(dir, `${name}.sock`) }, server: true, wait: false, ...extra }));
}

function tcpServer(name: string, extra: Partial<SocketChardevOptions> = {}): SocketChardev {
  return track(new SocketChardev(name, { address: { type: 'inet', host: '', port: 0 }, server: true, wait: false, ...extra }));
}

function tcpPort(chr: SocketChardev): number {
  const a = chr.address;
  if (a.type !== 'inet') throw new Error('not inet');
  return a.port;
}

/** A plain listener standing in for an external host-side server. */
async function hostListener(p: string): Promise<{ server: net.Server; sockets: net.Socket[] }> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => {
    sockets.push(s);
    s.on('error', () => undefined);
  });
  await within(new Promise<void>((resolve) => server.listen(p, resolve)));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return { server, sockets };
}

describe('socket chardev over a unix socket', () => {
  it('reports open, data both ways and close, and removes its socket file', async () => {
    const chr = unixServer('u0');
    await within(chr.open());
    const p = path.join(dir, 'u0.sock');
    expect(chr.connected).toBe(false);
    expect(chr.filename).toBe(`disconnected:unix:${p},server=on`);

    const opened = nextEvent(chr, 'open');
    const client = trackSocket(await connectTo({ path: p }));
    await opened;
    expect(chr.connected).toBe(true);
    expect(chr.filename).toBe(`unix:${p},server=on`);

    const got = nextEvent<[Uint8Array]>(chr, 'data');
    client.write('{"execute":"guest-ping"}\n');
    expect(text((await got)[0])).toBe('{"execute":"guest-ping"}\n');

    const received = new Collector(client);
    expect(chr.write(bytes('{"return": {}}\n'))).toBe(15);
    expect((await received.waitFor(15)).toString()).toBe('{"return": {}}\n');

    const closed = nextEvent(chr, 'close');
    client.end();
    await closed;
    expect(chr.connected).toBe(false);
    expect(chr.write(bytes('lost'))).toBe(0);
    expect(chr.stats()).toEqual({ bytesIn: 25, bytesOut: 15, connects: 1, disconnects: 1 });

    await chr.close();
    expect(existsSync(p)).toBe(false);
  });

  it('creates the socket owner-only (0600)', async () => {
    const chr = unixServer('mode');
    await within(chr.open());
    expect(statSync(path.join(dir, 'mode.sock')).mode & 0o777).toBe(0o600);
  });

  it('replaces a stale socket file but refuses a live socket or a regular file', async () => {
    // A socket inode whose listener is gone: rename it away from the listener, then close.
    const stale = path.join(dir, 'stale.sock');
    const tmp = path.join(dir, 'tmp.sock');
    const old = net.createServer();
    await within(new Promise<void>((resolve) => old.listen(tmp, resolve)));
    await fsp.rename(tmp, stale);
    await new Promise<void>((resolve) => old.close(() => resolve()));
    expect(statSync(stale).isSocket()).toBe(true);
    const chr = track(new SocketChardev('stale', { address: { type: 'unix', path: stale }, server: true, wait: false }));
    await within(chr.open());
    const client = trackSocket(await connectTo({ path: stale }));
    expect(client.readyState).toBe('open');

    const live = track(new SocketChardev('live', { address: { type: 'unix', path: stale }, server: true, wait: false }));
    await expect(within(live.open())).rejects.toThrow(`Failed to bind socket to ${stale}: Address already in use`);

    const regular = path.join(dir, 'regular');
    await fsp.writeFile(regular, 'keep me');
    const onFile = track(new SocketChardev('file', { address: { type: 'unix', path: regular }, server: true, wait: false }));
    await expect(within(onFile.open())).rejects.toThrow(`Failed to bind socket to ${regular}: Address already in use`);
    expect(await fsp.readFile(regular, 'utf8')).toBe('keep me');
  });

  it('rejects a path longer than sun_path', async () => {
    const long = path.join(dir, 'x'.repeat(120));
    const chr = track(new SocketChardev('long', { address: { type: 'unix', path: long }, server: true, wait: false }));
    await expect(chr.open()).rejects.toThrow(`UNIX socket path '${long}' is too long`);
  });
});

describe('socket chardev over TCP', () => {
  it('binds 127.0.0.1 on an empty host, picks a port for port=0 and exchanges data', async () => {
    const chr = tcpServer('t0');
    await within(chr.open());
    const addr = chr.address;
    expect(addr.type === 'inet' && addr.host).toBe('127.0.0.1');
    const port = tcpPort(chr);
    expect(port).toBeGreaterThan(0);

    const opened = nextEvent(chr, 'open');
    const client = trackSocket(await connectTo({ host: '127.0.0.1', port }));
    await opened;
    expect(chr.filename).toMatch(new RegExp(`^tcp:127\\.0\\.0\\.1:${port},server=on <-> 127\\.0\\.0\\.1:\\d+$`));

    const got = nextEvent<[Uint8Array]>(chr, 'data');
    client.write('ping');
    expect(text((await got)[0])).toBe('ping');
    const received = new Collector(client);
    chr.write(bytes('pong'));
    expect((await received.waitFor(4)).toString()).toBe('pong');

    const closed = nextEvent(chr, 'close');
    client.destroy();
    await closed;
  });

  it('reports a taken port the way QEMU does', async () => {
    const first = tcpServer('a');
    await within(first.open());
    const second = tcpServer('b', { address: { type: 'inet', host: '127.0.0.1', port: tcpPort(first) } });
    await expect(within(second.open())).rejects.toThrow('Failed to find an available port: Address already in use');
    expect(second.closed).toBe(true);
  });

  it('serves one client at a time; the next waits and is served when the first leaves', async () => {
    const chr = tcpServer('one');
    await within(chr.open());
    const port = tcpPort(chr);
    const events: string[] = [];
    chr.on('open', () => events.push('open'));
    chr.on('close', () => events.push('close'));
    chr.on('data', (d) => events.push(`data:${text(d)}`));

    const a = trackSocket(await connectTo({ host: '127.0.0.1', port }));
    await until(() => chr.connected, undefined, 'first client');
    const b = trackSocket(await connectTo({ host: '127.0.0.1', port }));
    await until(() => chr.pendingClients === 1, undefined, 'second client queued');
    b.write('from-b');
    a.write('from-a');
    await until(() => events.includes('data:from-a'), undefined, 'data from a');
    const toA = new Collector(a);
    const toB = new Collector(b);
    chr.write(bytes('reply'));
    await toA.waitFor(5);
    await sleep(50);
    expect(toB.length).toBe(0);
    expect(events).toEqual(['open', 'data:from-a']);

    a.destroy();
    await until(() => events.includes('data:from-b'), undefined, 'data from b');
    expect(events).toEqual(['open', 'data:from-a', 'close', 'open', 'data:from-b']);
    chr.write(bytes('hi b'));
    expect((await toB.waitFor(4)).toString()).toBe('hi b');
  });
});

describe('server wait option', () => {
  it('wait=on: open() resolves only after a client connects', async () => {
    const p = path.join(dir, 'wait.sock');
    const chr = track(createChardevFromOptions(`socket,id=w,path=${p},server=on`)) as SocketChardev;
    expect(chr.wait).toBe(true);
    let resolved = false;
    const opening = chr.open().then(() => {
      resolved = true;
    });
    await until(() => existsSync(p), undefined, 'socket file');
    await sleep(50);
    expect(resolved).toBe(false);
    trackSocket(await connectTo({ path: p }));
    await within(opening, undefined, 'open after client');
    expect(chr.connected).toBe(true);
  });

  it('wait=off: open() resolves without a client', async () => {
    const p = path.join(dir, 'nowait.sock');
    const chr = track(createChardevFromOptions(`socket,id=nw,path=${p},server=on,wait=off`));
    await within(chr.open());
    expect(chr.connected).toBe(false);
  });

  it('closing while waiting rejects open()', async () => {
    const chr = unixServer('cw', { wait: true });
    const opening = chr.open();
    await until(() => existsSync(path.join(dir, 'cw.sock')));
    const failed = expect(within(opening)).rejects.toThrow("chardev 'cw' was closed before a client connected");
    await chr.close();
    await failed;
    await expect(chr.open()).rejects.toBeInstanceOf(ChardevError);
  });
});

describe('client mode', () => {
  it('without reconnect, a failed connect fails open() with QEMU wording', async () => {
    const p = path.join(dir, 'nobody.sock');
    const chr = track(createChardevFromOptions(`socket,id=c,path=${p}`));
    await expect(within(chr.open())).rejects.toThrow(`Failed to connect to '${p}': No such file or directory`);

    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const tcp = track(createChardevFromOptions(`socket,id=t,host=127.0.0.1,port=${port}`));
    await expect(within(tcp.open())).rejects.toThrow(`Failed to connect to '127.0.0.1:${port}': Connection refused`);
  });

  it('connects to a host server and sees its data', async () => {
    const p = path.join(dir, 'host.sock');
    const host = await hostListener(p);
    const chr = track(createChardevFromOptions(`socket,id=c,path=${p}`));
    await within(chr.open());
    expect(chr.connected).toBe(true);
    await until(() => host.sockets.length === 1);
    const got = nextEvent<[Uint8Array]>(chr, 'data');
    host.sockets[0]!.write('hello');
    expect(text((await got)[0])).toBe('hello');
  });

  it('reconnect=1 retries after a failure and after the server goes away', { timeout: 10_000 }, async () => {
    const p = path.join(dir, 'flaky.sock');
    const chr = track(createChardevFromOptions(`socket,id=rc,path=${p},reconnect=1`)) as SocketChardev;
    expect(chr.reconnectMs).toBe(1000);
    const warnings: string[] = [];
    chr.on('warning', (m) => warnings.push(m));

    // No server yet: open() still succeeds (QEMU connects in the background).
    await within(chr.open());
    await until(() => warnings.length === 1, undefined, 'first connect warning');
    expect(warnings[0]).toBe(`Unable to connect character device rc: Failed to connect to '${p}': No such file or directory`);

    const first = await hostListener(p);
    await nextEvent(chr, 'open', 2500);
    expect(warnings).toHaveLength(1);

    const closed = nextEvent(chr, 'close');
    await until(() => first.sockets.length === 1);
    await new Promise<void>((resolve) => {
      first.server.close(() => resolve());
      first.sockets[0]!.destroy();
    });
    await closed;

    const second = await hostListener(p);
    await nextEvent(chr, 'open', 2500);
    await until(() => second.sockets.length === 1);
    expect(chr.connects).toBe(2);
    expect(chr.disconnects).toBe(1);
  });
});

describe('backpressure and pausing', () => {
  it('write() takes only up to the high-water mark and drain follows when the host reads', async () => {
    const chr = unixServer('bp');
    await within(chr.open());
    const client = trackSocket(await connectTo({ path: path.join(dir, 'bp.sock') }));
    await until(() => chr.connected);
    client.pause();

    const chunk = new Uint8Array(64 * 1024).fill(0x61);
    let total = 0;
    let last = chunk.length;
    for (let i = 0; i < 1000 && last === chunk.length; i++) {
      last = chr.write(chunk);
      total += last;
    }
    expect(last).toBeLessThan(chunk.length);
    expect(total).toBeGreaterThanOrEqual(CHARDEV_WRITE_HIGH_WATER);
    expect(chr.write(chunk)).toBe(0);

    const drained = nextEvent(chr, 'drain');
    let received = 0;
    client.on('data', (b: Buffer) => {
      received += b.length;
    });
    client.resume();
    await drained;
    expect(chr.write(chunk)).toBe(chunk.length);
    total += chunk.length;
    await until(() => received === total, undefined, 'all bytes at the host');
  });

  it('holds input while paused and loses nothing', async () => {
    const chr = unixServer('pz');
    await within(chr.open());
    const client = trackSocket(await connectTo({ path: path.join(dir, 'pz.sock') }));
    await until(() => chr.connected);
    const received: Buffer[] = [];
    chr.on('data', (d) => received.push(Buffer.from(d)));

    chr.pause();
    const big = Buffer.alloc(512 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = i % 251;
    client.write(big);
    await sleep(100);
    expect(received).toHaveLength(0);

    chr.resume();
    await until(() => Buffer.concat(received).length === big.length, undefined, 'all paused bytes');
    expect(Buffer.concat(received).equals(big)).toBe(true);
  });

  it('disconnect() drops the client and the server takes the next one', async () => {
    const chr = unixServer('dc');
    await within(chr.open());
    const a = trackSocket(await connectTo({ path: path.join(dir, 'dc.sock') }));
    await until(() => chr.connected);
    const aClosed = nextEvent(a, 'close');
    chr.disconnect();
    await aClosed;
    await until(() => !chr.connected);
    trackSocket(await connectTo({ path: path.join(dir, 'dc.sock') }));
    await until(() => chr.connected, undefined, 'second client');
  });
});
