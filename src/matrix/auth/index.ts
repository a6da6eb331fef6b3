/** Matrix authorization rules (room versions 1–12) with explanations. */
export type { AuthRuleId } from './rule-ids.js';
export { AUTH_RULE_IDS, describeRule, ruleExistsIn, specRuleNumber } from './rule-ids.js';
export type { AuthResult, AuthStep } from './auth-result.js';
export { authTypesForEvent } from './auth-events-selection.js';
export type { AuthEventsSelectionInput } from './auth-events-selection.js';
export { checkAuthRules } from './check-auth-rules.js';
export { checkAgainstState, checkAuthEvents } from './check-pdu.js';
export {
  CREATE_KEY,
  JOIN_RULES_KEY,
  POWER_LEVELS_KEY,
  isPrivilegedCreator,
  parsePowerLevel,
  requiredPowerLevelForEvent,
  roomCreator,
  userPowerLevel,
} from './power-levels.js';
