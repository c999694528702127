import { describe, expect, it } from 'vitest';
import { createChardevPipe } from '../../src/chardev/index.js';
import { bytes, nextEvent, sleep, text, within } from './helpers.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('memory pipe pair', () => {
  it('connect/disconnect become open/close and bytes flow both ways', async () => {
    const { chardev, host } = createChardevPipe('p0');
    await chardev.open();
    expect(chardev.connected).toBe(false);
    expect(chardev.write(bytes('nobody'))).toBe(0);

    const opened = nextEvent(chardev, 'open');
    const hostOpened = nextEvent(host, 'open');
    host.connect();
    await opened;
    await hostOpened;
    expect(chardev.connected).toBe(true);

    const got = nextEvent<[Uint8Array]>(chardev, 'data');
    host.write('{"execute":"guest-ping"}\n');
    expect(text((await got)[0])).toBe('{"execute":"guest-ping"}\n');

    expect(chardev.write(bytes('{"return": {}}\n'))).toBe(15);
    expect(await host.readLine()).toBe('{"return": {}}');

    const closed = nextEvent(chardev, 'close');
    host.disconnect();
    await closed;
    expect(() => host.write('x')).toThrow('pipe host end is not connected');
    expect(chardev.stats()).toEqual({ bytesIn: 25, bytesOut: 15, connects: 1, disconnects: 1 });
  });

  it('delivers to host data listeners when there are any', async () => {
    const { chardev, host } = createChardevPipe('p1', { connect: true });
    const seen = nextEvent<[Uint8Array]>(host, 'data');
    await nextEvent(chardev, 'open');
    chardev.write(bytes('abc'));
    expect(text((await seen)[0])).toBe('abc');
    expect(host.buffered).toBe(0);
  });

  it('bounds what the host has not read and emits drain once it reads', async () => {
    const { chardev, host } = createChardevPipe('p2', { connect: true, highWater: 10 });
    await nextEvent(chardev, 'open');
    expect(chardev.write(bytes('12345678'))).toBe(8);
    expect(chardev.write(bytes('abcdefgh'))).toBe(2);
    expect(chardev.write(bytes('x'))).toBe(0);
    const drained = nextEvent(chardev, 'drain');
    expect(text(await host.readBytes(4))).toBe('1234');
    await drained;
    expect(chardev.write(bytes('wxyz'))).toBe(4);
    expect(text(host.read())).toBe('5678abwxyz');
  });

  it('keeps paused input, in order with a disconnect behind it', async () => {
    const { chardev, host } = createChardevPipe('p3', { connect: true });
    const events: string[] = [];
    chardev.on('open', () => events.push('open'));
    chardev.on('close', () => events.push('close'));
    chardev.on('data', (d) => events.push(`data:${text(d)}`));
    await tick();
    chardev.pause();
    host.write('a');
    host.write('b');
    host.disconnect();
    await sleep(20);
    expect(events).toEqual(['open']);
    expect(chardev.connected).toBe(false);

    chardev.resume();
    await tick();
    expect(events).toEqual(['open', 'data:a', 'data:b', 'close']);
  });

  it('pausing from a data handler holds the rest', async () => {
    const { chardev, host } = createChardevPipe('p4', { connect: true });
    const seen: string[] = [];
    chardev.on('data', (d) => {
      seen.push(text(d));
      chardev.pause();
    });
    await tick();
    host.write('1');
    host.write('2');
    host.write('3');
    await tick();
    expect(seen).toEqual(['1']);
    chardev.resume();
    await tick();
    expect(seen).toEqual(['1', '2']);
    chardev.resume();
    await tick();
    expect(seen).toEqual(['1', '2', '3']);
  });

  it('readUntil waits for its predicate and times out when it never holds', async () => {
    const { chardev, host } = createChardevPipe('p5', { connect: true });
    await nextEvent(chardev, 'open');
    const waiting = host.readUntil((b) => text(b).includes('}'));
    chardev.write(bytes('{"a"'));
    chardev.write(bytes(':1}'));
    expect(text(await within(waiting))).toBe('{"a":1}');
    await expect(host.readLine(30)).rejects.toThrow('timed out after 30 ms waiting for a line');
  });

  it('closing the chardev disconnects the host end', async () => {
    const { chardev, host } = createChardevPipe('p6', { connect: true });
    await nextEvent(chardev, 'open');
    const hostClosed = nextEvent(host, 'close');
    const closed = nextEvent(chardev, 'close');
    await chardev.close();
    await closed;
    await hostClosed;
    expect(host.connected).toBe(false);
    expect(chardev.write(bytes('x'))).toBe(0);
  });
});
