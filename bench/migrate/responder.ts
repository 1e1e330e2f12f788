/**
 * The engine round trip bench:migrate compares a move with: `responder.ts <subject>` answers
 * requests on `subject` with their own bytes (`engine.serve`, as the shards' transfer desks do) on
 * its own NATS connection in its own process, so a request from the driver crosses what a
 * transfer crosses. It says `ready` over IPC and exits when the driver goes (or after 10 minutes).
 */
import { NatsEngine } from '@shardline/server';
import { NATS } from './cluster.js';

const [subject] = process.argv.slice(2);
if (!subject) {
  console.error('usage: responder.ts <subject>');
  process.exit(2);
}
setTimeout(() => process.exit(0), 600_000).unref();
process.on('disconnect', () => process.exit(0));

const engine = await NatsEngine.connect({ url: NATS, name: 'bench-migrate-responder' });
await engine.serve(subject, (payload) => payload);
process.send?.({ type: 'ready' });
