/**
 * CPU accounting for the benchmark: how much CPU time each process spent during a measurement,
 * read from /proc (Linux only; elsewhere every figure is absent). Dividing by the movements done
 * gives the CPU cost of one movement in the server, MariaDB, Kafka and the client, and the machine
 * total shows how much of the two cores other work took meanwhile.
 */
import { readFileSync, readdirSync } from 'node:fs';

/** Clock ticks per second of /proc times (USER_HZ, 100 on every Linux build in use). */
const ticksPerSecond = 100;

function readOr(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** User and system CPU of a process so far, in ms; undefined if it is gone or not on Linux. */
export function processCpuMs(pid: number): { user: number; system: number } | undefined {
  const stat = readOr(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  // Fields after the command name (which may hold spaces) start at the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    user: (Number(fields[11]) * 1000) / ticksPerSecond,
    system: (Number(fields[12]) * 1000) / ticksPerSecond,
  };
}

/** Busy CPU time of the whole machine so far (all cores, excluding idle and iowait), in ms. */
export function machineBusyMs(): number | undefined {
  const line = readOr('/proc/stat')?.split('\n')[0];
  if (line === undefined) return undefined;
  const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
  return (
    (((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) *
      1000) /
    ticksPerSecond
  );
}

/** The pid of the first process whose command line contains every one of `parts`. */
export function findPid(...parts: string[]): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmd = readOr(`/proc/${entry}/cmdline`)?.replaceAll('\0', ' ');
    if (cmd !== undefined && parts.every((p) => cmd.includes(p))) return Number(entry);
  }
  return undefined;
}

/**
 * CPU ms spent by each named process (user + system; `<name>:sys` the system part) and by the
 * whole machine, from now until the returned function is called.
 */
export function cpuMeter(pids: Record<string, number | undefined>): () => Record<string, number> {
  const read = () => {
    const out: Record<string, number> = {};
    for (const [name, pid] of Object.entries(pids)) {
      const cpu = pid === undefined ? undefined : processCpuMs(pid);
      if (cpu === undefined) continue;
      out[name] = cpu.user + cpu.system;
      out[`${name}:sys`] = cpu.system;
    }
    const machine = machineBusyMs();
    if (machine !== undefined) out.machine = machine;
    return out;
  };
  const before = read();
  return () => {
    const after = read();
    return Object.fromEntries(
      Object.entries(after)
        .filter(([name]) => before[name] !== undefined)
        .map(([name, ms]) => [name, ms - before[name]!]),
    );
  };
}
