/**
 * synapse-doctor as a library: the protocol core, opening Synapse databases, plans (the one way
 * anything writes), the inspect report and the homeserver simulator. The command line (src/cli) is one client of these.
 */
export { SynapseDoctorError, isSynapseDoctorError } from './errors.js';
export type { ErrorCode, ExitClass } from './errors.js';

// Protocol core (pure, synchronous)
export { MatrixFormatError } from './matrix/matrix-format-error.js';
export { ROOM_VERSIONS, roomVersionRules } from './matrix/room-versions.js';
export type { EventFormat, RoomVersionRules, StateResAlgorithm } from './matrix/room-versions.js';
export { isStateEvent, stateKeyOf, toPdu } from './matrix/pdu.js';
export type { JsonObject, JsonValue, Pdu } from './matrix/pdu.js';
export { canonicalJson, canonicalJsonBytes, parseJson } from './matrix/canonical-json.js';
export { decodeBase64, encodeBase64, encodeBase64Url } from './matrix/base64.js';
export { checkContentHash, computeContentHash, computeReferenceHash } from './matrix/hashes.js';
export { computeEventId, pduFromJson, roomIdForCreateEvent } from './matrix/event-id.js';
export { redactEvent } from './matrix/redaction.js';
export { generateSigningKey, parseSigningKeyFile, signingKeyFromSeed, signingKeyFromString } from './matrix/signing-key.js';
export type { SigningKey } from './matrix/signing-key.js';
export { isSkippedSignature, keyRingFromServerKeys, signEvent, signJson, verifyEventSignatures, verifyJsonForServer, verifyJsonSignature, verifyJsonSignatures } from './matrix/signatures.js';
export type { EventSignatureReport, KeyRing, ServerSignatureReport, SignatureCheck, SignatureStatus } from './matrix/signatures.js';
export * from './matrix/auth/index.js';
export { resolveState, resolveStateWithTrace } from './matrix/state-res/index.js';
export type { ResolveStateInput, StateResTrace } from './matrix/state-res/index.js';

// Synapse databases
export { openDatabase } from './store/open.js';
export type { OpenOptions, ReadStore, SynapseDatabase } from './store/open.js';
export { statement } from './store/engine/engine.js';
export { DIALECTS, compileFor } from './store/engine/dialects.js';
export type { Engine, EngineCapabilities, EngineKind, ReadEngine, SqlValue, Statement, WriteSession } from './store/engine/engine.js';
export { SUPPORTED_SCHEMA, detectSchema } from './store/schema-version.js';
export type { SchemaInfo } from './store/schema-version.js';
export { assertWritable, checkSynapseRunning } from './store/liveness.js';
export { acquireWriteLock } from './store/lock.js';
export { createSynapseSchema } from './store/fixture-schema.js';

// Plans: the one write path
export * from './plan/index.js';

// Capabilities
export { inspectDatabase } from './inspect/index.js';
export type { InspectReport, RoomReport } from './inspect/index.js';

// Simulator
export { SimRoom } from './simulator/room.js';
export { SimServer } from './simulator/server.js';
export { buildScenario } from './simulator/scenarios/index.js';
export type { ScenarioName, ScenarioResult } from './simulator/scenarios/index.js';
export { generateLoad } from './simulator/load.js';

// Rejection chains: find, explain, cure
export * from './rejections/index.js';
export * from './extremities/index.js';

// The room graph: select, DOT, Graphviz layout, the self-contained page
export { buildGraph, layoutSvg, renderHtml, toDot } from './graph/index.js';
export type { GraphEdge, GraphNode, GraphOptions, RoomGraph } from './graph/index.js';
