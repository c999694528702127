/** hostname(1) (Debian's hostname package): shows or, for root, sets the host name. */
import { Errno, O_RDONLY, type Program, type Syscalls } from '../kernel/index.js';
import { getopt } from './lib/getopt.js';
import { errText, readText, writeAll } from './stdio.js';

const USAGE = [
  'Usage: hostname [-b] {hostname|-F file}         set host name (from file)',
  '       hostname [-a|-A|-d|-f|-i|-I|-s|-y]       display formatted name',
  '       hostname                                 display host name',
  '',
  '       {yp,nis,}domainname {nisdomain|-F file}  set NIS domain name (from file)',
  '       {yp,nis,}domainname                      display NIS domain name',
  '',
  '       dnsdomainname                            display dns domain name',
  '',
  '       hostname -V|--version|-h|--help          print info and exit',
  '',
  'Program name:',
  '       {yp,nis,}domainname=hostname -y',
  '       dnsdomainname=hostname -d',
  '',
  'Program options:',
  '    -a, --alias            alias names',
  '    -A, --all-fqdns        all long host names (FQDNs)',
  '    -b, --boot             set default hostname if none available',
  '    -d, --domain           DNS domain name',
  '    -f, --fqdn, --long     long host name (FQDN)',
  '    -F, --file             read host name or NIS domain name from given file',
  '    -i, --ip-address       addresses for the host name',
  '    -I, --all-ip-addresses all addresses for the host',
  '    -s, --short            short host name',
  '    -y, --yp, --nis        NIS/YP domain name',
  '',
  'Description:',
  '   This command can get or set the host name or the NIS domain name. You can',
  '   also get the DNS domain or the FQDN (fully qualified domain name).',
  '   Unless you are using bind or NIS for host lookups you can change the',
  '   FQDN (Fully Qualified Domain Name) and the DNS domain name (which is',
  '   part of the FQDN) in the /etc/hosts file.',
  '',
].join('\n');

function validName(name: string): boolean {
  return /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(name) && !name.includes('..') && name.length <= 64;
}

/** hostname [-s|-f|-d] | hostname [-b] NAME | hostname -F FILE */
export function* hostnameMain(sys: Syscalls, argv: string[]): Program {
  const p = getopt('hostname', argv.slice(1), {
    short: 'sfdbF:',
    long: [
      { name: 'short', key: 's', arg: 'none' },
      { name: 'fqdn', key: 'f', arg: 'none' },
      { name: 'long', key: 'f', arg: 'none' },
      { name: 'domain', key: 'd', arg: 'none' },
      { name: 'boot', key: 'b', arg: 'none' },
      { name: 'file', key: 'F', arg: 'required' },
    ],
  });
  if (!p.ok) {
    // net-tools prints its whole usage on stdout and exits with -1.
    yield* writeAll(sys, 2, `${p.message}\n`);
    yield* writeAll(sys, 1, USAGE);
    return 255;
  }
  let newName = p.operands[0];
  const file = p.opts.find((o) => o.key === 'F')?.value;
  if (file !== undefined) {
    try {
      const fd = yield* sys.open(file, O_RDONLY);
      const text = yield* readText(sys, fd);
      sys.close(fd);
      newName = text.split('\n').map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('#')) ?? '';
    } catch (e) {
      yield* writeAll(sys, 2, `hostname: ${file}: ${errText(e)}\n`);
      return 1;
    }
  }
  if (newName !== undefined) {
    if (!validName(newName)) {
      yield* writeAll(sys, 2, 'hostname: the specified hostname is invalid\n');
      return 1;
    }
    try {
      sys.sethostname(newName);
    } catch (e) {
      if (Errno.is(e, 'EPERM')) {
        yield* writeAll(sys, 2, 'hostname: you must be root to change the host name\n');
        return 1;
      }
      yield* writeAll(sys, 2, `hostname: ${errText(e)}\n`);
      return 1;
    }
    return 0;
  }
  const name = sys.gethostname();
  const dot = name.indexOf('.');
  let out = name;
  if (p.opts.some((o) => o.key === 's')) out = dot < 0 ? name : name.slice(0, dot);
  else if (p.opts.some((o) => o.key === 'd')) out = dot < 0 ? '' : name.slice(dot + 1);
  yield* writeAll(sys, 1, out + '\n');
  return 0;
}
