export {
  type ConditionerCounters,
  LinkConditioner,
  type LinkDelivery,
  type LinkSettings,
} from './link-conditioner.js';
export { LINK_PROFILES, type LinkProfile, type LinkProfileName } from './profiles.js';
