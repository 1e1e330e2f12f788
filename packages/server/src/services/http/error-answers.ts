import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { type ErrorCode, isShardlineError } from '@shardline/core';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SERVICE_ERROR_STATUS } from './error-status.js';
import { answerClientError, answerSocket } from './socket-answers.js';

/** The one error shape of the HTTP port: a stable code from docs/errors.md and a message for people. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
}

/** An error as the HTTP port answers it: status and body. */
export interface ErrorAnswer {
  status: number;
  body: ErrorBody;
}

/** Every 500: a bug on the server's side, whose details go to the log and never to the client. */
const INTERNAL_ANSWER: ErrorAnswer = { status: 500, body: { code: 'INTERNAL', message: 'internal error' } };

/** The methods a path is probed for when it has no route for the request's method. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/**
 * What the HTTP port answers for `error`: a ShardlineError with its code's status
 * (SERVICE_ERROR_STATUS); a schema refusal or the framework's own 4xx (bad URL, long path parameter,
 * not JSON, too large, wrong content type) as REQUEST_INVALID with the framework's status; anything
 * else as 500 INTERNAL.
 */
export function errorAnswer(error: unknown): ErrorAnswer {
  if (isShardlineError(error)) {
    const status = SERVICE_ERROR_STATUS[error.code];
    return status ? { status, body: { code: error.code, message: error.message } } : INTERNAL_ANSWER;
  }
  const framework = (error ?? {}) as Partial<FastifyError>;
  if (framework.validation) {
    return { status: 400, body: { code: 'REQUEST_INVALID', message: String(framework.message) } };
  }
  // These two would echo the whole path back; the client has it.
  if (framework.code === 'FST_ERR_BAD_URL') {
    return { status: 400, body: { code: 'REQUEST_INVALID', message: 'the URL is malformed (bad %-escape)' } };
  }
  if (framework.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return { status: 414, body: { code: 'REQUEST_INVALID', message: 'a path parameter is too long' } };
  }
  const status = framework.statusCode;
  if (status === undefined || status < 400 || status > 499) return INTERNAL_ANSWER;
  return {
    status,
    body: {
      code: status === 404 ? 'ROUTE_NOT_FOUND' : 'REQUEST_INVALID',
      message: framework.message || String(STATUS_CODES[status]),
    },
  };
}

/** The error handler of every fastify scope on the HTTP port (5xx logged with the error). */
export function sendError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { status, body } = errorAnswer(error);
  if (status >= 500) request.log.error({ err: error }, 'HTTP request failed');
  return reply.code(status).send(body);
}

/**
 * The not-found handler of every fastify scope on the HTTP port: 405 METHOD_NOT_ALLOWED with an
 * `allow` header when the path has routes for other methods only, else 404 ROUTE_NOT_FOUND (also
 * when a route of this method sent the request here: a file under `/docs/static` that is missing).
 */
export function sendNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const allowed = METHODS.filter((method) => request.server.findRoute({ method, url: request.url }));
  const path = request.url.split('?')[0];
  if (allowed.length > 0 && !allowed.includes(request.method as (typeof METHODS)[number])) {
    return reply
      .code(405)
      .header('allow', allowed.join(', '))
      .send({
        code: 'METHOD_NOT_ALLOWED',
        message: `${path} takes ${allowed.join(', ')}, not ${request.method}`,
      } satisfies ErrorBody);
  }
  return reply.code(404).send({
    code: 'ROUTE_NOT_FOUND',
    message: `no such route: ${request.method} ${path}`,
  } satisfies ErrorBody);
}

/**
 * Refuses a WebSocket upgrade on the HTTP port with `error`'s answer (as errorAnswer gives it);
 * returns its status (5xx: a failure the caller should log).
 */
export function refuseUpgrade(socket: Duplex, error: unknown): number {
  const { status, body } = errorAnswer(error);
  answerSocket(socket, status, body);
  return status;
}

/**
 * Fastify constructor options that give the framework's own refusals the one shape: those before
 * routing (bad URL, long path parameter) and those of the HTTP parser (malformed request, headers
 * too large).
 */
export const ERROR_SHAPE_OPTIONS = {
  frameworkErrors: sendError,
  clientErrorHandler: answerClientError,
};

/** Sets the one error shape on `http`'s root scope; call it before registering anything. */
export function useErrorShape(http: FastifyInstance): void {
  http.setErrorHandler(sendError);
  http.setNotFoundHandler(sendNotFound);
}
