export type { Check, InsertStep, Plan, PlanDatabase, PlanTarget, Reason, RestoreStep, RowSource, Scope, SequenceStep, StatementStep, Step } from './plan.js';
export { makePlan, type PlanParts } from './make-plan.js';
export { applyPlan, runCheck, type ApplyOptions, type ApplyProgress, type ApplyResult, type CheckResult } from './apply.js';
export { planUndo, type UndoPlan } from './undo.js';
export { readJournal, appendJournalMarker, type JournalContents } from './journal.js';
export { renderText } from './render-text.js';
export { renderJson, summarisePlan } from './render-json.js';
export { renderSql, renderSqlText } from './render-sql.js';
