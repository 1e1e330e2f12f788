import { type ChildProcess, fork } from 'node:child_process';

/** A benchmark's child process: a TypeScript file run through tsx on the workspace's sources, with IPC. */
export function forkTypeScript(
  file: string,
  args: string[],
  options: { execArgv?: string[]; env?: NodeJS.ProcessEnv } = {},
): ChildProcess {
  return fork(file, args, {
    execArgv: [...(options.execArgv ?? []), '--import', 'tsx', '--conditions=shardline-source'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    ...(options.env ? { env: options.env } : {}),
  });
}

/**
 * `waitFor(child, type)` for a protocol of messages `M`: the child's next message of that type; it
 * rejects if the child exits first.
 */
export function messageWaiter<M extends { type: string }>() {
  return <T extends M['type']>(child: ChildProcess, type: T): Promise<Extract<M, { type: T }>> =>
    new Promise((resolve, reject) => {
      const onMessage = (message: M) => {
        if (message.type !== type) return;
        child.off('message', onMessage);
        resolve(message as Extract<M, { type: T }>);
      };
      child.on('message', onMessage);
      child.once('exit', (code) => reject(new Error(`no ${type} message: the child exited with ${code}`)));
    });
}
