import { describe, expect, it } from 'vitest';
import { QemuOptsError } from '../../src/cli/qemu-opts.js';
import { parseChardevCompat, parseChardevOptions } from '../../src/chardev/index.js';

describe('-chardev option strings', () => {
  it('parses a unix server socket', () => {
    expect(parseChardevOptions('socket,id=qga0,path=/tmp/qga.sock,server=on,wait=off')).toEqual({
      backend: 'socket',
      id: 'qga0',
      options: { address: { type: 'unix', path: '/tmp/qga.sock' }, server: true, wait: false, websocket: false, nodelay: false },
    });
  });

  it('reads bare flags and the legacy no- prefix', () => {
    const spec = parseChardevOptions('socket,id=m,host=localhost,port=4444,server,nowait,nodelay');
    expect(spec).toEqual({
      backend: 'socket',
      id: 'm',
      options: { address: { type: 'inet', host: 'localhost', port: 4444 }, server: true, wait: false, websocket: false, nodelay: true },
    });
  });

  it('defaults a server to wait=on and a client to no reconnect; reconnect is in seconds', () => {
    const srv = parseChardevOptions('socket,id=s,path=/x,server=on');
    expect(srv.backend === 'socket' && srv.options.wait).toBe(true);
    const cli = parseChardevOptions('socket,id=c,path=/x');
    expect(cli.backend === 'socket' && cli.options).toMatchObject({ server: false, reconnectMs: 0 });
    const rc = parseChardevOptions('socket,id=c,path=/x,reconnect=2');
    expect(rc.backend === 'socket' && rc.options.reconnectMs).toBe(2000);
    const rcms = parseChardevOptions('socket,id=c,path=/x,reconnect-ms=250');
    expect(rcms.backend === 'socket' && rcms.options.reconnectMs).toBe(250);
  });

  it('keeps doubled commas in paths', () => {
    const spec = parseChardevOptions('file,id=f,path=/tmp/a,,b.log,append=on');
    expect(spec).toEqual({ backend: 'file', id: 'f', options: { path: '/tmp/a,b.log', append: true } });
  });

  it('accepts backend= instead of the implied first word, and null', () => {
    expect(parseChardevOptions('id=n,backend=null')).toEqual({ backend: 'null', id: 'n' });
    expect(parseChardevOptions('null,id=n,path=/ignored')).toEqual({ backend: 'null', id: 'n' });
  });

  const errors: [string, string][] = [
    ['bogus,id=x', "'bogus' is not a valid char driver name"],
    ['socket,path=/x', 'chardev: no id specified'],
    ['id=x', 'chardev: "x" missing backend'],
    ['null,id=x,foo=1', "Invalid parameter 'foo'"],
    ['null,id=1x', "Parameter 'id' expects an identifier"],
    ['socket,id=x,path=/a,host=h,port=1', "None or one of 'path', 'fd' or 'host' option required."],
    ['socket,id=x,host=h', 'chardev: socket: no port given'],
    ['socket,id=x,path=/a,wait=off', "'wait' option is incompatible with socket in client connect mode"],
    ['socket,id=x,path=/a,server=on,reconnect=1', "'reconnect' option is incompatible with socket in server listen mode"],
    ['socket,id=x,host=h,port=1,websocket=on', 'Websocket client is not implemented'],
    ['socket,id=x,path=/a,reconnect=1,reconnect-ms=5', "'reconnect' and 'reconnect-ms' are mutually exclusive"],
    ['socket,id=x,host=h,port=1,delay=on,nodelay=on', "'delay' and 'nodelay' are mutually exclusive"],
    ['socket,id=x,path=/a,server=maybe', "Parameter 'server' expects 'on' or 'off'"],
    ['socket,id=x,host=h,port=ssh', 'address resolution failed for h:ssh: Servname not supported for ai_socktype'],
    ['file,id=x', 'chardev: file: no filename given'],
    ['socket,id=x,host=h,port=1,server=on,telnet=on', "chardev: socket: 'telnet' is not supported by qga-sim (sockets carry raw bytes only)"],
    ['socket,id=x,host=h,port=1,tls-creds=t', "chardev: socket: TLS ('tls-creds') is not supported by qga-sim"],
    ['stdio,id=x', "char driver 'stdio' is not supported by qga-sim (available: file, null, socket)"],
    ['memory,id=x', "char driver 'memory' is not supported by qga-sim (available: file, null, socket)"],
    ['null,id=x,mux=on', "chardev option 'mux' is not supported by qga-sim"],
  ];
  for (const [input, message] of errors) {
    it(`rejects ${input}`, () => {
      let caught: unknown;
      try {
        parseChardevOptions(input);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(QemuOptsError);
      expect((caught as Error).message).toBe(message);
    });
  }
});

describe('-serial/-qmp shorthand', () => {
  it('parses unix:, tcp:, websocket:, file: and null', () => {
    expect(parseChardevCompat('compat_monitor0', 'unix:/tmp/qmp.sock,server=on,wait=off')).toEqual({
      backend: 'socket',
      id: 'compat_monitor0',
      options: { address: { type: 'unix', path: '/tmp/qmp.sock' }, server: true, wait: false, websocket: false, nodelay: false },
    });
    expect(parseChardevCompat('serial0', 'tcp::4444,server,nowait')).toEqual({
      backend: 'socket',
      id: 'serial0',
      options: { address: { type: 'inet', host: '', port: 4444 }, server: true, wait: false, websocket: false, nodelay: false },
    });
    expect(parseChardevCompat('serial1', 'tcp:10.0.0.2:5555')).toEqual({
      backend: 'socket',
      id: 'serial1',
      options: { address: { type: 'inet', host: '10.0.0.2', port: 5555 }, server: false, websocket: false, nodelay: false, reconnectMs: 0 },
    });
    const ws = parseChardevCompat('m', 'websocket:127.0.0.1:5700,server=on,wait=off');
    expect(ws.backend === 'socket' && ws.options.websocket).toBe(true);
    expect(parseChardevCompat('serial0', 'file:/tmp/serial.log')).toEqual({
      backend: 'file',
      id: 'serial0',
      options: { path: '/tmp/serial.log', append: false },
    });
    expect(parseChardevCompat('serial0', 'null')).toEqual({ backend: 'null', id: 'serial0' });
  });

  it('rejects what QEMU rejects, and what qga-sim lacks', () => {
    expect(() => parseChardevCompat('s', 'foo:bar')).toThrow("'foo:bar' is not a valid char driver");
    expect(() => parseChardevCompat('s', 'tcp:nocolon')).toThrow("'tcp:nocolon' is not a valid char driver");
    expect(() => parseChardevCompat('s', 'stdio')).toThrow("char driver 'stdio' is not supported by qga-sim");
    expect(() => parseChardevCompat('s', 'telnet::4444,server')).toThrow("'telnet' is not supported by qga-sim");
    expect(() => parseChardevCompat('s', 'mon:stdio')).toThrow("'mon:' multiplexing is not supported by qga-sim");
    expect(() => parseChardevCompat('s', 'unix:/x,bogus=1')).toThrow("Invalid parameter 'bogus'");
  });
});
