// Progress lines while downloading and building: one line rewritten in place on a terminal, a line
// every few seconds otherwise (CI logs).
const plainIntervalMs = 5_000;

export interface Progress {
  /** Notes one more step (a downloaded file, a built package) with a short label. */
  step(label: string): void;
  done(summary: string): void;
}

export function progress(title: string): Progress {
  const tty = process.stdout.isTTY === true;
  let count = 0;
  let lastPrintMs = 0;
  const started = Date.now();
  return {
    step(label) {
      count += 1;
      const now = Date.now();
      const text = `${title}: ${count} ${label.slice(0, 70)}`;
      if (tty) {
        process.stdout.write(`\r\x1b[2K${text}`);
      } else if (now - lastPrintMs >= plainIntervalMs) {
        console.log(text);
        lastPrintMs = now;
      }
    },
    done(summary) {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      if (tty) process.stdout.write('\r\x1b[2K');
      console.log(`${title}: ${summary} (${count} steps, ${seconds}s)`);
    },
  };
}
