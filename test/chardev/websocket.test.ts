import * as http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { SocketChardev, createChardevFromCompat, createChardevFromOptions } from '../../src/chardev/index.js';
import { bytes, nextEvent, sleep, text, until, within } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function wsServer(id: string): Promise<{ chr: SocketChardev; url: string }> {
  const chr = createChardevFromOptions(`socket,id=${id},host=127.0.0.1,port=0,server=on,wait=off,websocket=on`) as SocketChardev;
  cleanups.push(() => chr.close());
  await within(chr.open());
  const a = chr.address;
  if (a.type !== 'inet') throw new Error('not inet');
  return { chr, url: `ws://127.0.0.1:${a.port}/` };
}

function client(url: string, protocols?: string[]): WebSocket {
  const ws = protocols === undefined ? new WebSocket(url) : new WebSocket(url, protocols);
  ws.on('error', () => undefined);
  cleanups.push(() => ws.terminate());
  return ws;
}

describe('websocket server chardev', () => {
  it('carries binary frames both ways, takes text frames as UTF-8, and reports open/close', async () => {
    const { chr, url } = await wsServer('ws0');
    const opened = nextEvent(chr, 'open');
    const ws = client(url, ['binary']);
    await nextEvent(ws, 'open');
    await opened;
    expect(ws.protocol).toBe('binary');
    expect(chr.filename).toMatch(/^websocket:127\.0\.0\.1:\d+,server=on <-> 127\.0\.0\.1:\d+$/);

    const bin = nextEvent<[Uint8Array]>(chr, 'data');
    ws.send(Buffer.from([1, 2, 3, 0xff]));
    expect([...(await bin)[0]]).toEqual([1, 2, 3, 0xff]);

    const txt = nextEvent<[Uint8Array]>(chr, 'data');
    ws.send('{"execute":"guest-sync","arguments":{"id":1}}\n');
    expect(text((await txt)[0])).toBe('{"execute":"guest-sync","arguments":{"id":1}}\n');

    const msg = nextEvent<[Buffer, boolean]>(ws, 'message');
    expect(chr.write(bytes('{"return": 1}\n'))).toBe(14);
    const [data, isBinary] = await msg;
    expect(isBinary).toBe(true);
    expect(data.toString()).toBe('{"return": 1}\n');

    const closed = nextEvent(chr, 'close');
    ws.close();
    await closed;
    expect(chr.connected).toBe(false);
  });

  it('accepts a client that names no sub-protocol and refuses one without "binary"', async () => {
    const { chr, url } = await wsServer('ws1');
    const plain = client(url);
    await nextEvent(plain, 'open');
    await until(() => chr.connected);
    plain.close();
    await until(() => !chr.connected);

    const wrong = client(url, ['chat']);
    const [, res] = await nextEvent<[unknown, http.IncomingMessage]>(wrong, 'unexpected-response');
    expect(res.statusCode).toBe(400);
  });

  it('answers a plain HTTP request with 400', async () => {
    const { url } = await wsServer('ws2');
    const status = await within(
      new Promise<number>((resolve, reject) => {
        http.get(url.replace('ws:', 'http:'), (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).on('error', reject);
      }),
    );
    expect(status).toBe(400);
  });

  it('holds a second client in its handshake until the first leaves', async () => {
    const { chr, url } = await wsServer('ws3');
    const first = client(url, ['binary']);
    await nextEvent(first, 'open');
    await until(() => chr.connected);

    const second = client(url, ['binary']);
    let secondOpen = false;
    second.on('open', () => {
      secondOpen = true;
    });
    await until(() => chr.pendingClients === 1, undefined, 'second client queued');
    await sleep(100);
    expect(secondOpen).toBe(false);
    expect(second.readyState).toBe(WebSocket.CONNECTING);

    first.close();
    await until(() => secondOpen, undefined, 'second handshake');
    await until(() => chr.connected);
    expect(chr.connects).toBe(2);
    const got = nextEvent<[Uint8Array]>(chr, 'data');
    second.send(Buffer.from('second'));
    expect(text((await got)[0])).toBe('second');
  });

  it('is reachable through the websocket: shorthand', async () => {
    const chr = createChardevFromCompat('compat_monitor0', 'websocket:127.0.0.1:0,server=on,wait=off') as SocketChardev;
    cleanups.push(() => chr.close());
    expect(chr.websocket).toBe(true);
    await within(chr.open());
    const a = chr.address;
    if (a.type !== 'inet') throw new Error('not inet');
    const ws = client(`ws://127.0.0.1:${a.port}/`, ['binary']);
    await nextEvent(ws, 'open');
    await until(() => chr.connected);
  });
});
