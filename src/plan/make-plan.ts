/** Assembles a Plan for a database: its target (engine, masked description, schema) and creation time. */
import type { ReadStore } from '../store/open.js';
import type { Check, Plan, Step } from './plan.js';

export interface PlanParts {
  readonly command: string;
  readonly steps: readonly Step[];
  readonly preconditions?: readonly Check[];
  readonly verify?: readonly Check[];
  readonly notes?: readonly string[];
}

export function makePlan(db: ReadStore, parts: PlanParts): Plan {
  const separate = db.state !== db.main;
  return Object.freeze({
    format: 1 as const,
    command: parts.command,
    target: {
      engine: db.main.kind,
      description: db.main.description,
      schemaVersion: db.schema.version,
      ...(separate ? { state: { engine: db.state.kind, description: db.state.description } } : {}),
    },
    createdAt: new Date().toISOString(),
    preconditions: parts.preconditions ?? [],
    steps: parts.steps,
    verify: parts.verify ?? [],
    notes: parts.notes ?? [],
  });
}
