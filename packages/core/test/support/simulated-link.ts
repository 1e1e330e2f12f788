import {
  type EndpointOptions,
  LinkConditioner,
  type LinkSettings,
  type ReceivedMessage,
  ReliableEndpoint,
} from '@shardline/core';

/** Two endpoints joined by a conditioned link in each direction, driven by a simulated clock (ms). */
export class SimulatedLink {
  nowMs = 0;
  readonly a: ReliableEndpoint;
  readonly b: ReliableEndpoint;
  readonly aToB: LinkConditioner;
  readonly bToA: LinkConditioner;
  readonly receivedByA: ReceivedMessage[] = [];
  readonly receivedByB: ReceivedMessage[] = [];

  constructor(options: EndpointOptions, settings: LinkSettings, seed = 7) {
    this.a = new ReliableEndpoint(options, 0);
    this.b = new ReliableEndpoint(options, 0);
    this.aToB = new LinkConditioner(settings, seed);
    this.bToA = new LinkConditioner(settings, seed + 1);
  }

  /** Advances the clock by `stepMs`: both sides update, then packets that have arrived are received. */
  step(stepMs: number): void {
    this.nowMs += stepMs;
    for (const packet of this.a.update(this.nowMs)) this.aToB.send(packet, this.nowMs);
    for (const packet of this.b.update(this.nowMs)) this.bToA.send(packet, this.nowMs);
    for (const packet of this.aToB.receive(this.nowMs))
      this.receivedByB.push(...this.b.receive(packet, this.nowMs));
    for (const packet of this.bToA.receive(this.nowMs))
      this.receivedByA.push(...this.a.receive(packet, this.nowMs));
  }

  /** Steps until `done()` or `limitMs` of simulated time passes; returns the simulated time taken. */
  runUntil(done: () => boolean, limitMs: number, stepMs = 10): number {
    const start = this.nowMs;
    while (!done() && this.nowMs - start < limitMs) this.step(stepMs);
    return this.nowMs - start;
  }
}
