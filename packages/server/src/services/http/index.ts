export { SERVICE_ERROR_STATUS } from './error-status.js';
export {
  bearerToken,
  type Caller,
  callerOf,
  DEFAULT_SERVICE_RATE_LIMITS,
  MAX_URL_PARAM_LENGTH,
  type ServiceApi,
  type ServiceRateLimits,
  type ServiceScope,
  serveServiceApi,
} from './service-api.js';
