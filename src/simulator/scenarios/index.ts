/**
 * Scenario registry: `buildScenario(name, options)` builds a named scenario into the given
 * database(s) and returns its labels.
 */
import { buildHealthy } from './healthy.js';
import { buildHistoryGap } from './history-gap.js';
import { buildRejectionCascade } from './rejection-cascade.js';
import { buildRejectionChain } from './rejection-chain.js';
import type { ScenarioOptions, ScenarioResult } from './common.js';

export type ScenarioName = 'healthy' | 'rejection-chain' | 'rejection-cascade' | 'history-gap';

export const SCENARIOS: Readonly<Record<ScenarioName, (o: ScenarioOptions) => Promise<ScenarioResult>>> = {
  healthy: buildHealthy,
  'rejection-chain': buildRejectionChain,
  'rejection-cascade': buildRejectionCascade,
  'history-gap': buildHistoryGap,
};

export function buildScenario(name: ScenarioName, options: ScenarioOptions): Promise<ScenarioResult> {
  const build = SCENARIOS[name];
  if (!build) throw new Error(`unknown scenario ${JSON.stringify(name)} (known: ${Object.keys(SCENARIOS).join(', ')})`);
  return build(options);
}

export type { RejectionShape, ScenarioOptions, ScenarioResult, SchemaVersion } from './common.js';
export { simulateHealthy } from './healthy.js';
export { backfillNewFromOld, simulateHistoryGap } from './history-gap.js';
export { simulateRejectionCascade } from './rejection-cascade.js';
export { simulateRejectionChain } from './rejection-chain.js';
