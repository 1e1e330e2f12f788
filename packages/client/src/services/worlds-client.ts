import type { ConnectTicket, WorldSeatRequest, WorldSummary } from '@shardline/core';
import type { ServiceHttp } from './service-http.js';

/**
 * Worlds (`/v1/worlds`): a seat by join-or-create, in a new instance, or in one by id, each answered
 * with a connect token naming the instance; and the public listing. ShardlineClient wraps these.
 */
export class WorldsClient {
  constructor(private readonly http: ServiceHttp) {}

  joinOrCreate(request: WorldSeatRequest): Promise<ConnectTicket> {
    return this.http.authed('POST', '/worlds/join', request);
  }

  create(request: WorldSeatRequest): Promise<ConnectTicket> {
    return this.http.authed('POST', '/worlds/create', request);
  }

  joinById(
    id: string,
    request: Pick<WorldSeatRequest, 'kind' | 'fingerprints' | 'password'>,
  ): Promise<ConnectTicket> {
    return this.http.authed('POST', `/worlds/${encodeURIComponent(id)}/join`, request);
  }

  async list(kind?: string): Promise<WorldSummary[]> {
    const query = kind === undefined ? '' : `?kind=${encodeURIComponent(kind)}`;
    return (await this.http.request<{ worlds: WorldSummary[] }>('GET', `/worlds${query}`)).worlds;
  }
}
