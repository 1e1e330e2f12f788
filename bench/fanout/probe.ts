/**
 * What a server process measures about itself between `start()` and `stop()`: CPU used (user +
 * system, % of one core over the wall-clock window) and the wall time of each tick's work
 * (simulation, encoding and handing every client its bytes), in ms.
 */
export interface ServerMeasurement {
  cpuPercent: number;
  /** The system (kernel) part of cpuPercent: socket writes and reads, timers' waits. */
  systemCpuPercent: number;
  tickMs: number[];
  seconds: number;
}

export class ServerProbe {
  private measuring = false;
  private startedAt = 0n;
  private cpuAtStart: NodeJS.CpuUsage = { user: 0, system: 0 };
  private readonly samples: number[] = [];

  start(): void {
    this.samples.length = 0;
    this.cpuAtStart = process.cpuUsage();
    this.startedAt = process.hrtime.bigint();
    this.measuring = true;
  }

  /** Records one tick's work, in ms (ignored outside the window). */
  tick(ms: number): void {
    if (this.measuring) this.samples.push(ms);
  }

  /** Times `work` as one tick when `isTick` says after it ran that it was one. */
  time<T>(work: () => T, isTick: (result: T) => boolean): T {
    const start = process.hrtime.bigint();
    const result = work();
    if (isTick(result)) this.tick(Number(process.hrtime.bigint() - start) / 1e6);
    return result;
  }

  stop(): ServerMeasurement {
    this.measuring = false;
    const seconds = Number(process.hrtime.bigint() - this.startedAt) / 1e9;
    const cpu = process.cpuUsage(this.cpuAtStart);
    return {
      cpuPercent: ((cpu.user + cpu.system) / 1e6 / seconds) * 100,
      systemCpuPercent: (cpu.system / 1e6 / seconds) * 100,
      tickMs: [...this.samples],
      seconds,
    };
  }
}
