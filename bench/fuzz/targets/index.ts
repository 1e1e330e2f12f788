import type { FuzzTarget } from '../target.js';
import {
  challengeTokenTarget,
  connectTokenTarget,
  handshakeClientTarget,
  handshakeServerTarget,
  privateTokenTarget,
  protectionTarget,
} from './handshake.js';
import { endpointTarget, framesTarget, packetTarget } from './packets.js';
import { playerLocationTarget, playerRecordTarget } from './portals.js';
import { rpcEndsTarget, rpcMessageTarget } from './rpc.js';
import { servicesHttpTarget } from './services-http.js';
import { clientWorldTarget, richSnapshotTarget, unitSnapshotTarget } from './snapshots.js';
import {
  clockTarget,
  inputAckTarget,
  inputStreamTarget,
  inputTarget,
  seatMessageTarget,
  stateTarget,
} from './world-messages.js';

/** Every decoder under fuzz; `close` stops the services' HTTP server. */
export async function fuzzTargets(): Promise<{ targets: FuzzTarget[]; close: () => Promise<void> }> {
  const http = await servicesHttpTarget();
  const targets = [
    packetTarget,
    endpointTarget,
    framesTarget,
    handshakeServerTarget,
    handshakeClientTarget,
    connectTokenTarget,
    privateTokenTarget,
    challengeTokenTarget,
    protectionTarget,
    unitSnapshotTarget,
    richSnapshotTarget,
    clientWorldTarget,
    seatMessageTarget,
    playerLocationTarget,
    playerRecordTarget,
    inputAckTarget,
    inputStreamTarget,
    inputTarget,
    stateTarget,
    clockTarget,
    rpcMessageTarget,
    rpcEndsTarget,
    http.target,
  ];
  return { targets, close: http.close };
}
