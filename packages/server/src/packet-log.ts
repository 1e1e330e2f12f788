import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import {
  formatPacketLogLine,
  type PacketLog,
  type PacketLogEntry,
  parsePacketLogLine,
} from '@shardline/core';

/** Appends every packet a connection sees to a file, one JSON object per line. */
export class JsonLinesPacketLog implements PacketLog {
  private readonly stream: WriteStream;

  constructor(readonly path: string) {
    this.stream = createWriteStream(path, { flags: 'a' });
  }

  record(entry: PacketLogEntry): void {
    this.stream.write(`${formatPacketLogLine(entry)}\n`);
  }

  /** Flushes and closes the file. */
  close(): Promise<void> {
    return new Promise((resolve, reject) =>
      this.stream.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
  }
}

/** Reads a packet log file back; WIRE_INVALID names the first line that is not an entry. */
export function readPacketLog(path: string): PacketLogEntry[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map(parsePacketLogLine);
}
