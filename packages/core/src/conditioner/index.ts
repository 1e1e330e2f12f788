export { type ConditionerCounters, LinkConditioner, type LinkSettings } from './link-conditioner.js';
