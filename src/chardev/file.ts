/**
 * The `file` backend: output goes to a file (truncated, or appended with append=on);
 * optional input comes from `input-path`. As in QEMU the host side is open from the
 * start; reaching the end of the input file is a host disconnect (QEMU's fd backend
 * reports CLOSED on EOF), yet output keeps going to the file after that.
 */
import type { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import { Chardev, type ChardevBaseOptions } from './chardev.js';
import { chardevErrno, strerror } from './errors.js';

/** Options of the file backend through the library API. */
export interface FileChardevOptions extends ChardevBaseOptions {
  /** Output file, created if missing. */
  path: string;
  /** Optional file (or FIFO) to read host input from. */
  inputPath?: string;
  /** Append instead of truncating (default false, as QEMU). */
  append?: boolean;
}

function opened<T extends EventEmitter>(stream: T, path: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      stream.off('open', onOpen);
      reject(chardevErrno(`Could not open '${path}'`, err));
    };
    const onOpen = () => {
      stream.off('error', onError);
      resolve(stream);
    };
    stream.once('error', onError);
    stream.once('open', onOpen);
  });
}

/** A chardev backed by an output file and an optional input file. */
export class FileChardev extends Chardev {
  /** Always "file". */
  override readonly backend = 'file';
  /** Output file path. */
  readonly path: string;
  /** Input file path, if any. */
  readonly inputPath: string | undefined;
  /** Whether output is appended. */
  readonly append: boolean;

  private out: fs.WriteStream | undefined;
  private input: fs.ReadStream | undefined;
  private writeFailed = false;

  /** Records the paths; files are opened by `open()`. */
  constructor(id: string, options: FileChardevOptions) {
    super(id, options);
    this.path = options.path;
    this.inputPath = options.inputPath;
    this.append = options.append ?? false;
  }

  override get filename(): string {
    return `file:${this.path}`;
  }

  protected override async doOpen(): Promise<void> {
    const out = await opened(fs.createWriteStream(this.path, { flags: this.append ? 'a' : 'w' }), this.path);
    let input: fs.ReadStream | undefined;
    if (this.inputPath !== undefined) {
      try {
        input = await opened(fs.createReadStream(this.inputPath), this.inputPath);
      } catch (err) {
        out.destroy();
        throw err;
      }
    }
    if (this.closed) {
      out.destroy();
      input?.destroy();
      return;
    }
    this.out = out;
    out.on('error', (err) => {
      // Report once; later writes fail the same way and would only repeat it.
      if (this.writeFailed) return;
      this.writeFailed = true;
      this.warn(`chardev '${this.id}': writing '${this.path}' failed: ${strerror(err)}`);
    });
    this.hostConnected();
    if (input !== undefined) {
      this.input = input;
      if (this.paused) input.pause();
      input.on('data', (chunk: Buffer | string) => this.hostData(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
      input.on('end', () => this.hostDisconnected());
      input.on('error', (err) => this.warn(`chardev '${this.id}': reading '${this.inputPath}' failed: ${strerror(err)}`));
    }
  }

  protected override async doClose(): Promise<void> {
    this.input?.destroy();
    this.input = undefined;
    const out = this.out;
    this.out = undefined;
    if (out === undefined || out.destroyed) return;
    await new Promise<void>((resolve) => {
      out.once('close', () => resolve());
      out.end();
    });
  }

  // The output file takes bytes whether or not the input side is still open.
  protected override writable(): boolean {
    return this.out !== undefined && !this.writeFailed;
  }

  protected override hostWrite(chunk: Buffer): void {
    this.out?.write(chunk, () => this.hostDrained());
  }

  protected override hostBuffered(): number {
    return this.out?.writableLength ?? 0;
  }

  protected override pauseSource(): void {
    this.input?.pause();
  }

  protected override resumeSource(): void {
    this.input?.resume();
  }
}
