/**
 * The process table and the machinery that runs processes.
 *
 * A process runs only inside a scheduler event: `step` resumes its generator with the
 * reason it was woken, and the generator runs synchronously until it yields the next
 * `Block` (or finishes). `block` then registers a waiter on the Block's queues and a
 * timer for its deadline. A waiter's wake() never runs the process directly; it schedules
 * a new event at the current time, so drivers may wake queues from inside an interrupt
 * handler and the process runs after the handler has returned. Ties are broken by the
 * scheduler's insertion order, so any mix of processes runs the same way every time.
 */
import type { SchedulerView } from '../../core/scheduler.js';
import type { Trace } from '../../core/trace.js';
import { Block, type Program, type ProgramMain, type WakeReason } from './block.js';
import { Errno } from './errno.js';
import { Process, ProcessExit, type ActiveWait, type ProcessInfo, type ProcessSetup } from './process.js';
import { SIGCHLD, SIGKILL, SIGSEGV, describeStatus, exitedStatus, isFatalByDefault, signalName, signaledStatus } from './signals.js';
import { filePut } from './vfs/file.js';
import { chainPath, last } from './vfs/namei.js';
import type { Syscalls } from './syscalls.js';

/** A program that died of an uncaught exception. */
export interface Fault {
  /** Process id. */
  pid: number;
  /** Command name. */
  comm: string;
  /** Virtual time. */
  time: number;
  /** What was thrown. */
  error: unknown;
}

/** What the table needs from the kernel around it. */
export interface ProcessTableHooks {
  /** The machine scheduler. */
  sched: SchedulerView;
  /** The machine trace. */
  trace: Trace;
  /** Builds the syscall interface for a new process. */
  makeSys(p: Process): Syscalls;
  /** Called when pid 1 exits. */
  panic(message: string): void;
  /** Called after a fault has been recorded. */
  onFault?(fault: Fault): void;
}

type Disposition = 'ignore' | 'fatal' | ((sig: number) => void);

/** All processes, and the scheduling of their generators. */
export class ProcessTable {
  private readonly procs = new Map<number, Process>();
  private nextPid = 1;
  /** Programs that died of uncaught exceptions, oldest first. */
  readonly faults: Fault[] = [];
  /** The process whose code is running right now, if any. */
  current: Process | undefined = undefined;

  constructor(private readonly hooks: ProcessTableHooks) {}

  private emit(msg: string): void {
    this.hooks.trace.emit(this.hooks.sched.now(), 'guest', 'kernel', msg);
  }

  /** A live or zombie process by pid. */
  get(pid: number): Process | undefined {
    return this.procs.get(pid);
  }

  /** Every process in pid order. */
  list(): Process[] {
    return [...this.procs.values()].sort((a, b) => a.pid - b.pid);
  }

  /** Creates a process running `main` and schedules its first step. */
  create(setup: ProcessSetup, main: ProgramMain, parent: Process | undefined): Process {
    const p = new Process(this.nextPid++, setup, this.hooks.sched.now());
    this.procs.set(p.pid, p);
    parent?.children.set(p.pid, p);
    last(p.cwd).mnt.refs++;
    const sys = this.hooks.makeSys(p);
    this.emit(`spawn pid ${p.pid} ppid ${p.ppid} uid ${p.cred.uid} ${p.comm}${p.exe === '' ? '' : ' ' + p.exe} ${JSON.stringify(p.argv)}`);
    try {
      p.gen = main(sys, [...p.argv]);
    } catch (e) {
      this.fault(p, e);
      return p;
    }
    this.schedule(p, 'woken');
    return p;
  }

  private schedule(p: Process, reason: WakeReason): void {
    p.state = 'runnable';
    this.hooks.sched.after(0, `guest pid ${p.pid}`, () => this.step(p, reason));
  }

  private disposition(p: Process, sig: number): Disposition {
    const a = sig === SIGKILL ? 'default' : (p.actions.get(sig) ?? 'default');
    if (a === 'ignore') return 'ignore';
    if (a !== 'default') return a;
    // Init only gets the signals it has handlers for, as Linux protects it.
    if (!isFatalByDefault(sig) || p.pid === 1) return 'ignore';
    return 'fatal';
  }

  /** Delivers pending signals in the context of `p`; throws ProcessExit if one is fatal. */
  deliver(p: Process): void {
    if (p.dying !== undefined) throw new ProcessExit();
    for (;;) {
      let sig = Infinity;
      for (const s of p.pending) if (s < sig && !p.blocked.has(s)) sig = s;
      if (sig === Infinity) break;
      p.pending.delete(sig);
      const d = this.disposition(p, sig);
      if (d === 'ignore') continue;
      if (d === 'fatal') {
        p.dying = signaledStatus(sig);
        throw new ProcessExit();
      }
      d(sig);
      if (p.dying !== undefined) throw new ProcessExit();
    }
  }

  /** Sends a signal; a blocked target is woken so that its syscall fails with EINTR. */
  send(target: Process, sig: number, from: number): void {
    if (target.state === 'zombie' || sig === 0) return;
    // A blocked signal is kept even if ignored now: the disposition may change before it is unblocked.
    if (!target.blocked.has(sig) && this.disposition(target, sig) === 'ignore') return;
    this.emit(`signal ${signalName(sig)} to pid ${target.pid} from ${from === 0 ? 'kernel' : 'pid ' + from}`);
    target.pending.add(sig);
    if (target.state === 'blocked' && !target.blocked.has(sig)) this.wake(target, 'signal');
  }

  /** Whether a signal is pending that is neither blocked nor ignored (signal_pending). */
  hasDeliverable(p: Process): boolean {
    for (const s of p.pending) if (!p.blocked.has(s) && this.disposition(p, s) !== 'ignore') return true;
    return false;
  }

  private step(p: Process, reason: WakeReason): void {
    if (p.state !== 'runnable') return;
    const gen = p.gen;
    if (gen === undefined) return;
    p.state = 'running';
    this.current = p;
    let res: IteratorResult<Block, number>;
    try {
      this.deliver(p);
    } catch (e) {
      // A fatal signal, exit() from a handler, or a handler that threw (a fault).
      if (p.dying === undefined) {
        this.recordFault(p, e);
        p.dying = signaledStatus(SIGSEGV);
      }
      this.unwind(p, gen);
      return;
    }
    try {
      res = gen.next(reason);
    } catch (e) {
      this.current = undefined;
      if (p.dying !== undefined) this.exit(p, p.dying);
      else this.fault(p, e);
      return;
    }
    this.current = undefined;
    if (p.dying !== undefined) this.exit(p, p.dying);
    else if (res.done === true) this.exit(p, exitedStatus(res.value));
    else this.block(p, res.value);
  }

  // A fatal signal found the process suspended: unwind its program so that finally blocks
  // run (any syscall they make throws ProcessExit at once), then finish it.
  private unwind(p: Process, gen: Program): void {
    try {
      gen.throw(new ProcessExit());
    } catch {
      // The expected outcome: ProcessExit (or whatever a finally block threw) came back out.
    }
    this.current = undefined;
    this.exit(p, p.dying ?? signaledStatus(SIGKILL));
  }

  private block(p: Process, b: unknown): void {
    if (!(b instanceof Block)) {
      this.fault(p, new Error('program yielded something that is not a Block'));
      return;
    }
    if (this.hasDeliverable(p)) {
      this.schedule(p, 'signal');
      return;
    }
    const sched = this.hooks.sched;
    if (b.deadline !== undefined && b.deadline <= sched.now()) {
      this.schedule(p, 'timeout');
      return;
    }
    p.state = 'blocked';
    const waiter = { wake: (): void => this.wake(p, 'woken') };
    for (const q of b.queues) q.add(waiter);
    const w: ActiveWait = { waiter, queues: b.queues, timer: undefined };
    if (b.deadline !== undefined) {
      // The timer is the kernel's own event, so the process may run in it directly.
      w.timer = sched.at(b.deadline, `guest pid ${p.pid} timeout`, () => {
        if (p.state !== 'blocked' || p.wait !== w) return;
        this.cancelWait(p);
        p.state = 'runnable';
        this.step(p, 'timeout');
      });
    }
    p.wait = w;
  }

  private cancelWait(p: Process): void {
    const w = p.wait;
    if (w === undefined) return;
    for (const q of w.queues) q.remove(w.waiter);
    w.timer?.cancel();
    p.wait = undefined;
  }

  /** Ends a blocked process's wait; it resumes in a later event with `reason`. */
  wake(p: Process, reason: WakeReason): void {
    if (p.state !== 'blocked') return;
    this.cancelWait(p);
    this.schedule(p, reason);
  }

  private fault(p: Process, e: unknown): void {
    this.recordFault(p, e);
    this.exit(p, signaledStatus(SIGSEGV));
  }

  private recordFault(p: Process, e: unknown): void {
    const f: Fault = { pid: p.pid, comm: p.comm, time: this.hooks.sched.now(), error: e };
    this.faults.push(f);
    const what = e instanceof Errno ? `unhandled ${e.code} (${e.message}${e.context === undefined ? '' : ', ' + e.context})` : `uncaught ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
    this.emit(`pid ${p.pid} (${p.comm}) segfault: ${what}`);
    this.hooks.onFault?.(f);
  }

  /** Turns a process into a zombie: closes its files, re-parents its children, tells its parent. */
  exit(p: Process, status: number): void {
    if (p.state === 'zombie') return;
    this.cancelWait(p);
    p.gen = undefined;
    p.state = 'zombie';
    p.status = status;
    p.dying = status;
    p.exitTime = this.hooks.sched.now();
    p.pending.clear();
    this.emit(`exit pid ${p.pid} (${p.comm}) ${describeStatus(status)}`);
    for (const e of p.fds.clear()) filePut(e.file);
    last(p.cwd).mnt.refs--;
    const init = this.procs.get(1);
    for (const c of p.children.values()) {
      c.ppid = 1;
      if (init !== undefined && init !== p) {
        init.children.set(c.pid, c);
        if (c.state === 'zombie') this.notifyParent(c, init);
      }
    }
    p.children.clear();
    const parent = this.procs.get(p.ppid);
    if (parent !== undefined && parent !== p) this.notifyParent(p, parent);
    for (const l of p.exitListeners.splice(0)) l(status);
    if (p.pid === 1) this.hooks.panic(`Attempted to kill init! ${describeStatus(status)}`);
  }

  private notifyParent(child: Process, parent: Process): void {
    // A parent ignoring SIGCHLD explicitly gets its children reaped for it (POSIX/Linux).
    if (parent.actions.get(SIGCHLD) === 'ignore') this.reap(parent, child);
    else this.send(parent, SIGCHLD, 0);
    parent.childWq.wakeAll();
  }

  /** Removes a zombie for good. */
  reap(parent: Process, child: Process): void {
    parent.children.delete(child.pid);
    this.procs.delete(child.pid);
    this.emit(`reap pid ${child.pid} by pid ${parent.pid}`);
  }

  /** Children of `parent` matching waitpid's pid argument. */
  waitable(parent: Process, pid: number): Process[] {
    const out: Process[] = [];
    for (const c of parent.children.values()) {
      if (pid > 0 ? c.pid === pid : pid === -1 ? true : pid === 0 ? c.pgid === parent.pgid : c.pgid === -pid) out.push(c);
    }
    return out;
  }

  /** A read-only snapshot of a process. */
  info(p: Process): ProcessInfo {
    return {
      pid: p.pid,
      ppid: p.ppid,
      pgid: p.pgid,
      sid: p.sid,
      comm: p.comm,
      exe: p.exe,
      argv: p.argv,
      state: p.state,
      uid: p.cred.uid,
      gid: p.cred.gid,
      euid: p.cred.euid,
      egid: p.cred.egid,
      cwd: chainPath(p.cwd),
      fds: p.fds.entries().map(([fd, e]) => ({ fd, path: e.file.path, flags: e.file.flags })),
      status: p.status,
      startTime: p.startTime,
    };
  }
}
