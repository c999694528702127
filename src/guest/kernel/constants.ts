/**
 * Linux ABI constants for files, polling, clocks and mounts, with x86_64 values so that
 * numbers a guest program prints or compares match a real system.
 */

/** open(2): access-mode mask. */
export const O_ACCMODE = 0o3;
/** open(2): read only. */
export const O_RDONLY = 0o0;
/** open(2): write only. */
export const O_WRONLY = 0o1;
/** open(2): read and write. */
export const O_RDWR = 0o2;
/** open(2): create if missing. */
export const O_CREAT = 0o100;
/** open(2): with O_CREAT, fail if it exists. */
export const O_EXCL = 0o200;
/** open(2): do not become the controlling terminal (accepted, no effect: no ttys yet). */
export const O_NOCTTY = 0o400;
/** open(2): truncate a regular file to zero. */
export const O_TRUNC = 0o1000;
/** open(2): every write goes to the end. */
export const O_APPEND = 0o2000;
/** open(2): never block; EAGAIN instead. */
export const O_NONBLOCK = 0o4000;
/** open(2): synchronous data writes (accepted; writes are synchronous anyway). */
export const O_DSYNC = 0o10000;
/** open(2): fail with ENOTDIR unless a directory. */
export const O_DIRECTORY = 0o200000;
/** open(2): fail with ELOOP if the last component is a symlink. */
export const O_NOFOLLOW = 0o400000;
/** open(2): close on spawn. */
export const O_CLOEXEC = 0o2000000;
/** open(2)/fcntl(2) O_ASYNC (FASYNC): signal-driven I/O; only F_SETFL turns it on, as in Linux. */
export const O_ASYNC = 0o20000;
/** Status flags F_SETFL may change. */
export const O_SETFL_MASK = O_APPEND | O_NONBLOCK | O_ASYNC;

/** File type mask of st_mode. */
export const S_IFMT = 0o170000;
/** Socket. */
export const S_IFSOCK = 0o140000;
/** Symbolic link. */
export const S_IFLNK = 0o120000;
/** Regular file. */
export const S_IFREG = 0o100000;
/** Block device. */
export const S_IFBLK = 0o060000;
/** Directory. */
export const S_IFDIR = 0o040000;
/** Character device. */
export const S_IFCHR = 0o020000;
/** FIFO (pipe). */
export const S_IFIFO = 0o010000;
/** Set-user-ID bit. */
export const S_ISUID = 0o4000;
/** Set-group-ID bit. */
export const S_ISGID = 0o2000;
/** Sticky bit (restricted deletion in directories). */
export const S_ISVTX = 0o1000;
/** Permission bits plus setuid/setgid/sticky. */
export const S_IALLUGO = 0o7777;

/** True for a directory mode. */
export const S_ISDIR = (m: number): boolean => (m & S_IFMT) === S_IFDIR;
/** True for a regular-file mode. */
export const S_ISREG = (m: number): boolean => (m & S_IFMT) === S_IFREG;
/** True for a symlink mode. */
export const S_ISLNK = (m: number): boolean => (m & S_IFMT) === S_IFLNK;
/** True for a character-device mode. */
export const S_ISCHR = (m: number): boolean => (m & S_IFMT) === S_IFCHR;
/** True for a block-device mode. */
export const S_ISBLK = (m: number): boolean => (m & S_IFMT) === S_IFBLK;
/** True for a FIFO mode. */
export const S_ISFIFO = (m: number): boolean => (m & S_IFMT) === S_IFIFO;

/** d_type: unknown. */
export const DT_UNKNOWN = 0;
/** d_type: FIFO. */
export const DT_FIFO = 1;
/** d_type: character device. */
export const DT_CHR = 2;
/** d_type: directory. */
export const DT_DIR = 4;
/** d_type: block device. */
export const DT_BLK = 6;
/** d_type: regular file. */
export const DT_REG = 8;
/** d_type: symlink. */
export const DT_LNK = 10;
/** d_type: socket. */
export const DT_SOCK = 12;

/** The d_type for an st_mode. */
export function modeToDtype(mode: number): number {
  return ((mode & S_IFMT) >>> 12) & 0xf;
}

/** lseek: absolute. */
export const SEEK_SET = 0;
/** lseek: relative to the current position. */
export const SEEK_CUR = 1;
/** lseek: relative to the end. */
export const SEEK_END = 2;

/** fcntl: duplicate to the lowest fd >= arg. */
export const F_DUPFD = 0;
/** fcntl: get descriptor flags. */
export const F_GETFD = 1;
/** fcntl: set descriptor flags. */
export const F_SETFD = 2;
/** fcntl: get status flags. */
export const F_GETFL = 3;
/** fcntl: set status flags (O_APPEND, O_NONBLOCK). */
export const F_SETFL = 4;
/** fcntl: set the process (pid > 0) or group (-pgid) that gets SIGIO for the file. */
export const F_SETOWN = 8;
/** fcntl: get the SIGIO owner (negative: a process group). */
export const F_GETOWN = 9;
/** fcntl: F_DUPFD with close-on-exec set. */
export const F_DUPFD_CLOEXEC = 1030;
/** Descriptor flag: close on spawn. */
export const FD_CLOEXEC = 1;

/** poll: data to read. */
export const POLLIN = 0x001;
/** poll: urgent data. */
export const POLLPRI = 0x002;
/** poll: writing will not block. */
export const POLLOUT = 0x004;
/** poll: error condition (always reported). */
export const POLLERR = 0x008;
/** poll: hung up (always reported). */
export const POLLHUP = 0x010;
/** poll: fd not open (always reported). */
export const POLLNVAL = 0x020;
/** poll: normal data to read. */
export const POLLRDNORM = 0x040;
/** poll: priority band data to read. */
export const POLLRDBAND = 0x080;
/** poll: normal data may be written. */
export const POLLWRNORM = 0x100;
/** poll: priority data may be written. */
export const POLLWRBAND = 0x200;
/** poll: peer closed its writing half. */
export const POLLRDHUP = 0x2000;

/** access(2): existence. */
export const F_OK = 0;
/** access(2): execute/search. */
export const X_OK = 1;
/** access(2): write. */
export const W_OK = 2;
/** access(2): read. */
export const R_OK = 4;

/** clock_gettime: wall clock. */
export const CLOCK_REALTIME = 0;
/** clock_gettime: time since boot, never set. */
export const CLOCK_MONOTONIC = 1;
/** clock_gettime: CPU time of the process (always zero: programs take no CPU time). */
export const CLOCK_PROCESS_CPUTIME_ID = 2;
/** clock_gettime: monotonic, not slewed. */
export const CLOCK_MONOTONIC_RAW = 4;
/** clock_gettime: monotonic including suspend. */
export const CLOCK_BOOTTIME = 7;

/** mount(2): read-only. */
export const MS_RDONLY = 1;
/** mount(2): ignore setuid bits. */
export const MS_NOSUID = 2;
/** mount(2): no device nodes. */
export const MS_NODEV = 4;
/** mount(2): no execution. */
export const MS_NOEXEC = 8;
/** mount(2): change flags of an existing mount. */
export const MS_REMOUNT = 32;
/** umount2: lazy detach (accepted; detaches at once). */
export const MNT_DETACH = 2;

/** Bytes a pipe holds (Linux default: 16 pages). */
export const PIPE_CAPACITY = 65536;
/** Pipe writes up to this size are atomic. */
export const PIPE_BUF = 4096;
/** Longest path accepted. */
export const PATH_MAX = 4096;
/** Longest path component accepted. */
export const NAME_MAX = 255;
/** Symlinks followed in one lookup before ELOOP. */
export const MAXSYMLINKS = 40;
/** Per-process descriptor limit (RLIMIT_NOFILE soft default). */
export const OPEN_MAX = 1024;
/** Longest host name. */
export const HOST_NAME_MAX = 64;
/** PATH used when the environment has none. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Linux's 32-bit dev_t encoding (new_encode_dev), as stat() reports st_dev/st_rdev. */
export function makedev(major: number, minor: number): number {
  return ((minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12)) >>> 0;
}

/** Major number of an encoded dev_t. */
export function major(dev: number): number {
  return (dev >>> 8) & 0xfff;
}

/** Minor number of an encoded dev_t. */
export function minor(dev: number): number {
  return (dev & 0xff) | ((dev >>> 12) & 0xfff00);
}

/** ioctl: freeze the filesystem a file is on (_IOWR('X', 119, int)); needs CAP_SYS_ADMIN. */
export const FIFREEZE = 0xc0045877;
/** ioctl: thaw a frozen filesystem (_IOWR('X', 120, int)). */
export const FITHAW = 0xc0045878;
/** ioctl: discard free space (_IOWR('X', 121, struct fstrim_range)); len comes back as bytes trimmed. */
export const FITRIM = 0xc0185879;
/** Bytes of struct fstrim_range: u64 start, u64 len, u64 minlen. */
export const FSTRIM_RANGE_SIZE = 24;
