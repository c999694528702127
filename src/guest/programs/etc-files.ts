/**
 * The configuration files of a freshly installed Debian 12 (bookworm) system, written
 * from the host side into a kernel's root filesystem: the user and group databases with
 * base-passwd's system accounts plus root and one ordinary user, their shadow files,
 * /etc/hostname, /etc/hosts and os-release. Used by tests and by the guest's boot.
 */
import type { Kernel } from '../kernel/index.js';
import { daysFromCivil } from './lib/calendar.js';
import { formatGroup, formatPasswd, type GroupEntry, type PasswdEntry } from './lib/userdb.js';

/** gid of the "shadow" group, which may read /etc/shadow. */
export const SHADOW_GID = 42;
/** uid (and gid) of the ordinary user. */
export const DEFAULT_USER_UID = 1000;
/** Day (since the epoch) the accounts were created: bookworm's release, 2023-06-10. */
export const DEFAULT_LAST_CHANGE = daysFromCivil(2023, 6, 10);

/** What installEtcFiles writes. */
export interface EtcOptions {
  /** Host name for /etc/hostname and /etc/hosts (default "debian"). */
  hostname?: string;
  /** Login name of the ordinary user (default "user"). */
  userName?: string;
  /** Full name of the ordinary user (default "user,,,", as adduser leaves it). */
  userGecos?: string;
  /** Login shell of root and the user (default /bin/sh: this system has no bash). */
  shell?: string;
  /** root's shadow password field (default "*": no password login). */
  rootPassword?: string;
  /** The user's shadow password field (default "!": locked until chpasswd sets one). */
  userPassword?: string;
  /** Shadow "last change" day for every account (default bookworm's release day). */
  lastChange?: number;
}

const NOLOGIN = '/usr/sbin/nologin';

// base-passwd 3.6.1 (bookworm): the fixed system accounts below uid 100.
const SYSTEM_USERS: readonly PasswdEntry[] = [
  ['daemon', 1, 1, 'daemon', '/usr/sbin'],
  ['bin', 2, 2, 'bin', '/bin'],
  ['sys', 3, 3, 'sys', '/dev'],
  ['sync', 4, 65534, 'sync', '/bin'],
  ['games', 5, 60, 'games', '/usr/games'],
  ['man', 6, 12, 'man', '/var/cache/man'],
  ['lp', 7, 7, 'lp', '/var/spool/lpd'],
  ['mail', 8, 8, 'mail', '/var/mail'],
  ['news', 9, 9, 'news', '/var/spool/news'],
  ['uucp', 10, 10, 'uucp', '/var/spool/uucp'],
  ['proxy', 13, 13, 'proxy', '/bin'],
  ['www-data', 33, 33, 'www-data', '/var/www'],
  ['backup', 34, 34, 'backup', '/var/backups'],
  ['list', 38, 38, 'Mailing List Manager', '/var/list'],
  ['irc', 39, 39, 'ircd', '/run/ircd'],
  ['_apt', 42, 65534, '', '/nonexistent'],
  ['nobody', 65534, 65534, 'nobody', '/nonexistent'],
].map(([name, uid, gid, gecos, home]) => ({
  name: String(name),
  passwd: 'x',
  uid: Number(uid),
  gid: Number(gid),
  gecos: String(gecos),
  home: String(home),
  shell: name === 'sync' ? '/bin/sync' : NOLOGIN,
}));

const SYSTEM_GROUPS: readonly (readonly [string, number])[] = [
  ['root', 0], ['daemon', 1], ['bin', 2], ['sys', 3], ['adm', 4], ['tty', 5], ['disk', 6], ['lp', 7],
  ['mail', 8], ['news', 9], ['uucp', 10], ['man', 12], ['proxy', 13], ['kmem', 15], ['dialout', 20],
  ['fax', 21], ['voice', 22], ['cdrom', 24], ['floppy', 25], ['tape', 26], ['sudo', 27], ['audio', 29],
  ['dip', 30], ['www-data', 33], ['backup', 34], ['operator', 37], ['list', 38], ['irc', 39], ['src', 40],
  ['shadow', SHADOW_GID], ['utmp', 43], ['video', 44], ['sasl', 45], ['plugdev', 46], ['staff', 50],
  ['games', 60], ['users', 100], ['nogroup', 65534],
];

// The groups the installer puts the first user in.
const FIRST_USER_GROUPS = new Set(['cdrom', 'floppy', 'audio', 'dip', 'video', 'plugdev', 'users']);

/** The passwd entries installEtcFiles writes. */
export function defaultUsers(opts: EtcOptions = {}): PasswdEntry[] {
  const shell = opts.shell ?? '/bin/sh';
  const name = opts.userName ?? 'user';
  return [
    { name: 'root', passwd: 'x', uid: 0, gid: 0, gecos: 'root', home: '/root', shell },
    ...SYSTEM_USERS.map((u) => ({ ...u })),
    { name, passwd: 'x', uid: DEFAULT_USER_UID, gid: DEFAULT_USER_UID, gecos: opts.userGecos ?? `${name},,,`, home: `/home/${name}`, shell },
  ];
}

/** The group entries installEtcFiles writes. */
export function defaultGroups(opts: EtcOptions = {}): GroupEntry[] {
  const name = opts.userName ?? 'user';
  return [
    ...SYSTEM_GROUPS.map(([g, gid]) => ({ name: g, passwd: 'x', gid, members: FIRST_USER_GROUPS.has(g) ? [name] : [] })),
    { name, passwd: 'x', gid: DEFAULT_USER_UID, members: [] },
  ];
}

/** /etc/os-release of Debian 12. */
export const DEBIAN_OS_RELEASE = [
  'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"',
  'NAME="Debian GNU/Linux"',
  'VERSION_ID="12"',
  'VERSION="12 (bookworm)"',
  'VERSION_CODENAME=bookworm',
  'ID=debian',
  'HOME_URL="https://www.debian.org/"',
  'SUPPORT_URL="https://www.debian.org/support"',
  'BUG_REPORT_URL="https://bugs.debian.org/"',
  '',
].join('\n');

/**
 * Writes /etc/passwd, /etc/group (0644), /etc/shadow and /etc/gshadow (0640 root:shadow),
 * /etc/hostname, /etc/hosts, /usr/lib/os-release with its /etc/os-release symlink, and
 * the user's home directory. Existing files are replaced.
 */
export function installEtcFiles(kernel: Kernel, opts: EtcOptions = {}): void {
  const hostname = opts.hostname ?? 'debian';
  const lastChange = opts.lastChange ?? DEFAULT_LAST_CHANGE;
  const users = defaultUsers(opts);
  const groups = defaultGroups(opts);
  const userName = opts.userName ?? 'user';
  const shadowPassword = (u: PasswdEntry): string => {
    if (u.uid === 0) return opts.rootPassword ?? '*';
    if (u.name === userName) return opts.userPassword ?? '!';
    return '*';
  };
  const shadow = users.map((u) => `${u.name}:${shadowPassword(u)}:${lastChange}:0:99999:7:::\n`).join('');
  const gshadow = groups.map((g) => `${g.name}:${g.name === userName ? '!' : '*'}::${g.members.join(',')}\n`).join('');

  kernel.writeFile('/etc/passwd', formatPasswd(users), 0o644);
  kernel.writeFile('/etc/group', formatGroup(groups), 0o644);
  kernel.writeFile('/etc/shadow', shadow, 0o640);
  kernel.chown('/etc/shadow', 0, SHADOW_GID);
  kernel.writeFile('/etc/gshadow', gshadow, 0o640);
  kernel.chown('/etc/gshadow', 0, SHADOW_GID);
  kernel.writeFile('/etc/hostname', `${hostname}\n`, 0o644);
  kernel.writeFile('/etc/hosts', `127.0.0.1\tlocalhost\n127.0.1.1\t${hostname}\n\n# The following lines are desirable for IPv6 capable hosts\n::1     localhost ip6-localhost ip6-loopback\nff02::1 ip6-allnodes\nff02::2 ip6-allrouters\n`, 0o644);
  kernel.writeFile('/etc/debian_version', '12.0\n', 0o644);
  kernel.writeFile('/usr/lib/os-release', DEBIAN_OS_RELEASE, 0o644);
  kernel.createSymlink('/etc/os-release', '../usr/lib/os-release');
  // base-files: /var/run and /var/lock are symlinks into the /run tmpfs.
  kernel.mkdirp('/run/lock', 0o1777);
  kernel.createSymlink('/var/run', '/run');
  kernel.createSymlink('/var/lock', '/run/lock');
  const home = `/home/${userName}`;
  kernel.mkdirp(home, 0o700);
  kernel.chown(home, DEFAULT_USER_UID, DEFAULT_USER_UID);
}
