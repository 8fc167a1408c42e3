/**
 * Counts matching lines of a log file inside a time window, reading from the end backwards in
 * chunks: a 10 GB log costs only the bytes of the window (plus one chunk), never the whole file.
 * Lines are taken to be in time order; reading stops at the first timestamped line before the
 * window. Lines without a leading timestamp (stack traces, continuations) are not counted.
 */
import { open } from 'node:fs/promises';
import { leadingTimestamp } from './timestamp';

export const CHUNK_BYTES = 64 * 1024;
/** Read at most this much per run: a window that holds more is counted as far as read, and said so. */
export const MAX_READ_BYTES = 256 * 1024 * 1024;

export interface FileCount {
  count: number;
  /** The newest matching line (untrimmed text, one line). */
  newest?: string;
  /** Bytes read from the end. */
  bytesRead: number;
  /** File size when read. */
  size: number;
  /** The read stopped at {@link MAX_READ_BYTES} before reaching the window's start. */
  truncated: boolean;
}

/** Counts lines matching `pattern` with a leading timestamp in [from, to]. Throws for file errors (ENOENT…). */
export async function countFileLines(
  path: string,
  pattern: RegExp,
  window: { from: number; to: number },
  opts: { timezone?: string; signal?: AbortSignal; maxBytes?: number } = {},
): Promise<FileCount> {
  const maxBytes = opts.maxBytes ?? MAX_READ_BYTES;
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    let pos = size;
    let carry = Buffer.alloc(0);
    let count = 0;
    let newest: string | undefined;
    let done = false;
    const judge = (line: string) => {
      const t = leadingTimestamp(line, opts.timezone);
      if (t === undefined) return;
      if (t < window.from) {
        done = true;
        return;
      }
      if (t > window.to || !pattern.test(line)) return;
      count++;
      newest ??= line;
    };
    while (pos > 0 && !done && size - pos < maxBytes) {
      if (opts.signal?.aborted) throw Object.assign(new Error('aborted'), { name: 'AbortError' });
      const len = Math.min(CHUNK_BYTES, pos);
      pos -= len;
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, pos);
      const data = Buffer.concat([buf, carry]);
      // The part before the first newline may be the end of a line in the previous chunk.
      let end = data.length;
      for (let i = data.length - 1; i >= 0 && !done; i--) {
        if (data[i] !== 0x0a) continue;
        const line = data
          .subarray(i + 1, end)
          .toString('utf8')
          .replace(/\r$/, '');
        if (line) judge(line);
        end = i;
      }
      carry = data.subarray(0, end);
    }
    if (!done && pos === 0 && carry.length) judge(carry.toString('utf8').replace(/\r$/, ''));
    return {
      count,
      ...(newest !== undefined ? { newest } : {}),
      bytesRead: size - pos,
      size,
      truncated: !done && pos > 0,
    };
  } finally {
    await fh.close();
  }
}
