/** Cuts a byte stream into text lines for the log, however the chunks fall. */
import { StringDecoder } from 'node:string_decoder';

/** A script that prints megabytes without a newline must not grow one log line without bound. */
const MAX_LINE = 16 * 1024;

export interface LineSplitter {
  push(chunk: Buffer): void;
  /** Emits what is left after the last newline. */
  end(): void;
}

export function lineSplitter(emit: (line: string) => void): LineSplitter {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  const drain = () => {
    for (;;) {
      const nl = pending.indexOf('\n');
      if (nl < 0) break;
      emit(pending.slice(0, nl).replace(/\r$/, ''));
      pending = pending.slice(nl + 1);
    }
    while (pending.length > MAX_LINE) {
      emit(pending.slice(0, MAX_LINE));
      pending = pending.slice(MAX_LINE);
    }
  };
  return {
    push(chunk) {
      pending += decoder.write(chunk);
      drain();
    },
    end() {
      pending += decoder.end();
      drain();
      if (pending !== '') emit(pending.replace(/\r$/, ''));
      pending = '';
    },
  };
}
