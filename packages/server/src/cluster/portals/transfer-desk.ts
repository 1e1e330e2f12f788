import { isShardlineError, ShardlineError, TokenBucket } from '@shardline/core';
import { checkJson, decodeJson, encodeJson } from '../services/json-wire.js';
import type { Arrival, PlayerClaims } from './player-claims.js';
import type { PlayerDirectory } from './player-directory.js';
import type { PlayerLeaving } from './player-location.js';
import { decodePlayerRecord, encodePlayerRecord, type PlayerRecord } from './player-record.js';
import type { ShardPlayersOptions } from './shard-players.js';
import {
  CommittedRequest,
  HoldsReply,
  HoldsRequest,
  TransferEnvelope,
  TransferReply,
  TransferRequest,
  transfersSubject,
} from './transfer-wire.js';

/** How long a `holds` or `committed` request waits, ms. */
const ASK_TIMEOUT_MS = 2_000;
/**
 * Requests a shard answers on its transfers subject, all senders together: a flood (another shard
 * is not trusted) is refused with RATE_LIMITED before it costs a seat or a write.
 */
export const TRANSFER_REQUEST_RATE = { perSecond: 2_000, burst: 500 } as const;
/** How long a transfer's answer is remembered for its duplicates, ms (far past any source's retry). */
export const ANSWERS_KEPT_MS = 5 * 60_000;

/** What the desk works with: its shard's players' options, and their claims and directory. */
export interface TransferDeskOptions extends Omit<ShardPlayersOptions, 'nowMs'> {
  claims: PlayerClaims;
  directory: PlayerDirectory;
  nowMs: () => number;
  /** A player who arrived through a portal became one of this shard's (the figures count it). */
  arrived: () => void;
}

/**
 * The transfers between shards (docs/cluster/CLUSTER.md §8): as a source it sends them; as a target
 * it answers `transfer` (stores the record durably, reserves a seat, answers a connect token; the
 * same transfer asked again is answered the same), `holds` (whether it stored a transfer) and
 * `committed` (the source's hint that its commit won). An arrival whose seat lapses stays only if
 * the directory names its transfer.
 */
export class TransferDesk {
  /** Transfers being answered or answered, by id: a duplicate gets the same answer. */
  private readonly answers = new Map<
    string,
    { userId: string; atMs: number; reply: Promise<TransferReply> }
  >();

  private readonly rate: TokenBucket;

  constructor(private readonly options: TransferDeskOptions) {
    this.rate = new TokenBucket(TRANSFER_REQUEST_RATE, options.nowMs());
  }

  /** Asks the target shard (named in `leaving.to`) to take a player; its reply, or its error. */
  async send(
    leaving: PlayerLeaving,
    move: {
      userId: string;
      portal: string;
      revision: number;
      record: PlayerRecord;
      userData: Uint8Array | undefined;
    },
  ): Promise<TransferReply> {
    const request: TransferRequest = {
      op: 'transfer',
      transfer: leaving.transfer,
      userId: move.userId,
      from: { shard: leaving.shard, world: leaving.world, portal: move.portal, fence: leaving.fence },
      to: { world: leaving.to.world, portal: leaving.to.portal },
      revision: move.revision,
      ...(move.userData ? { userData: Buffer.from(move.userData).toString('base64') } : {}),
      record: Buffer.from(encodePlayerRecord(move.record)).toString('base64'),
    };
    const reply = await this.options.engine.request(
      transfersSubject(this.options.cluster, leaving.to.shard),
      encodeJson(request),
      this.options.pairs.transferTimeoutMs,
    );
    return decodeJson(reply, TransferReply, 'a transfer reply');
  }

  /** Whether `shard` stored the transfer (an orphan's resolution); throws if it cannot be asked. */
  async holds(shard: string, ask: { transfer: string; userId: string }): Promise<boolean> {
    const reply = await this.options.engine.request(
      transfersSubject(this.options.cluster, shard),
      encodeJson({ op: 'holds', ...ask } satisfies HoldsRequest),
      ASK_TIMEOUT_MS,
    );
    return decodeJson(reply, HoldsReply, 'a holds reply').holds;
  }

  /** Tells the target the commit won (best effort: its admission reads the directory otherwise). */
  tellCommitted(shard: string, commit: { transfer: string; userId: string; revision: number }): void {
    this.options.engine
      .request(
        transfersSubject(this.options.cluster, shard),
        encodeJson({
          op: 'committed',
          transfer: commit.transfer,
          userId: commit.userId,
          revision: commit.revision,
        }),
        ASK_TIMEOUT_MS,
      )
      .catch(() => {});
  }

  /** Answers a request to this shard (another shard is not trusted: every field is checked). */
  async answer(bytes: Uint8Array): Promise<Uint8Array> {
    if (!this.rate.take(this.options.nowMs())) {
      throw new ShardlineError(
        'RATE_LIMITED',
        `more than ${TRANSFER_REQUEST_RATE.perSecond} transfer requests a second`,
      );
    }
    const { op } = decodeJson(bytes, TransferEnvelope, 'a transfer request');
    const value = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
    if (op === 'transfer')
      return encodeJson(await this.take(checkJson(value, TransferRequest, 'a transfer')));
    if (op === 'holds')
      return encodeJson({ holds: await this.holdsHere(checkJson(value, HoldsRequest, 'holds')) });
    const committed = checkJson(value, CommittedRequest, 'committed');
    const arrival = this.options.claims.arrivals.get(committed.userId);
    if (arrival?.transfer === committed.transfer) arrival.committedAt = committed.revision;
    return encodeJson({});
  }

  /**
   * Arrivals whose reserved seat lapsed before the player came: kept as the world's (an away record)
   * if the directory names their transfer, else dropped from memory and the shard index.
   */
  async expireArrivals(): Promise<void> {
    const nowMs = this.options.nowMs();
    for (const [transfer, { atMs }] of this.answers) {
      if (nowMs - atMs < ANSWERS_KEPT_MS) break; // oldest first
      this.answers.delete(transfer);
    }
    for (const [userId, arrival] of [...this.options.claims.arrivals]) {
      if (arrival.expiresAtMs > nowMs) continue;
      const at = await this.options.directory.read(userId);
      if (this.options.claims.arrivals.get(userId) !== arrival) continue; // it came in meanwhile
      const location = at?.location;
      if (location?.state === 'leaving' && location.transfer === arrival.transfer) continue; // not decided yet
      this.options.claims.arrivals.delete(userId);
      if (at && location?.state === 'in' && location.transfer === arrival.transfer) {
        this.options.claims.claims.set(userId, {
          world: arrival.world,
          revision: at.revision,
          transfer: arrival.transfer,
        });
        this.options.claims.away.set(userId, arrival.record);
        this.options.arrived();
        continue;
      }
      this.answers.delete(arrival.transfer);
      await this.options.store.deletePlayer(this.options.cluster, this.options.shard, userId, {
        transfer: arrival.transfer,
      });
      this.options.logger?.info(
        { user: userId, transfer: arrival.transfer },
        'players: an arrival the directory does not name was dropped',
      );
    }
  }

  /** A transfer to this shard: checked, stored durably, then answered (once per transfer id). */
  private take(request: TransferRequest): Promise<TransferReply> {
    const known = this.answers.get(request.transfer);
    if (known) {
      if (known.userId !== request.userId) {
        return Promise.reject(
          new ShardlineError('VALUE_INVALID', `transfer ${request.transfer} is another player's`),
        );
      }
      return known.reply;
    }
    const reply = this.store(request);
    this.answers.set(request.transfer, { userId: request.userId, atMs: this.options.nowMs(), reply });
    reply.catch(() => {
      if (this.answers.get(request.transfer)?.reply === reply) this.answers.delete(request.transfer);
    });
    return reply;
  }

  private async store(request: TransferRequest): Promise<TransferReply> {
    const { options } = this;
    const world = options.world(request.to.world);
    if (!world || world.isDisposed) {
      throw new ShardlineError('WORLD_NOT_FOUND', `${request.to.world} is not hosted on ${options.shard}`);
    }
    const partner = options.pairs.partnerOf(request.to.world, request.to.portal);
    if (partner?.world !== request.from.world || partner.portal !== request.from.portal) {
      throw new ShardlineError(
        'PORTAL_UNKNOWN',
        `${request.to.world}/${request.to.portal} does not pair with ${request.from.world}/${request.from.portal}`,
      );
    }
    const source = options.membership.liveShards().get(request.from.shard)?.status;
    if (source?.leaseToken !== undefined && source.leaseToken !== request.from.fence) {
      throw new ShardlineError(
        'MIGRATION_FENCED',
        `${request.from.shard} holds lease ${source.leaseToken}, not ${request.from.fence}`,
      );
    }
    if (options.claims.moving.has(request.userId) || options.claims.claims.has(request.userId)) {
      // Held here already (arrived by this transfer, or by another): a stale or repeated transfer.
      throw new ShardlineError('MIGRATION_BUSY', `${request.userId} is held here already`);
    }
    const record = {
      ...decodePlayerRecord(Buffer.from(request.record, 'base64')),
      movedAtMs: options.nowMs(),
      via: { portal: request.to.portal, from: { world: request.from.world, portal: request.from.portal } },
    };
    const userData =
      request.userData === undefined ? undefined : new Uint8Array(Buffer.from(request.userData, 'base64'));
    const ticket = options.ticket(world, { clientId: request.userId, ...(userData ? { userData } : {}) });
    await options.store.putPlayers(options.cluster, options.shard, [
      {
        userId: request.userId,
        world: request.to.world,
        state: 'arriving',
        transfer: request.transfer,
        data: encodePlayerRecord(record),
        updatedAtMs: options.nowMs(),
      },
    ]);
    const arrival: Arrival = {
      transfer: request.transfer,
      world: request.to.world,
      portal: request.to.portal,
      from: { world: request.from.world, portal: request.from.portal },
      record,
      expiresAtMs: ticket.expiresAtMs,
    };
    options.claims.arrivals.set(request.userId, arrival);
    return {
      token: Buffer.from(ticket.token).toString('base64'),
      addresses: options.addresses(),
      kind: world.kind.name,
    };
  }

  /** Whether this shard stored transfer `transfer` (in memory, or in its index after a restart). */
  private async holdsHere(ask: HoldsRequest): Promise<boolean> {
    const answering = this.answers.get(ask.transfer);
    if (answering) {
      try {
        await answering.reply;
        return answering.userId === ask.userId;
      } catch (error) {
        if (!isShardlineError(error)) throw error;
        return false;
      }
    }
    if (this.options.claims.arrivals.get(ask.userId)?.transfer === ask.transfer) return true;
    if (this.options.claims.claims.get(ask.userId)?.transfer === ask.transfer) return true;
    const row = await this.options.store.player(this.options.cluster, this.options.shard, ask.userId);
    return row?.transfer === ask.transfer;
  }
}
