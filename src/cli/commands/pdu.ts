/**
 * `synapse-doctor pdu …`: protocol tools on single JSON documents, no database. Thin: the logic is
 * in src/pdu/. Input is a FILE argument or stdin (`-` or absent). Malformed input exits 2.
 */
import type { Command } from 'commander';
import { SynapseDoctorError } from '../../errors.js';
import { EXIT } from '../exit-codes.js';
import { readInput } from '../input.js';
import { globalOptions } from '../options.js';
import { warn, writeJson, writeOut, type CliContext } from '../output.js';
import { printable, renderTable } from '../table.js';

type Opts = Record<string, string | undefined>;

async function pduLib(): Promise<typeof import('../../pdu/index.js')> {
  return import('../../pdu/index.js');
}

/** The keys a Synapse database stored, the database opened read-only and closed again. */
async function keysFromDatabase(target: string): Promise<import('../../matrix/signatures.js').KeyRing> {
  if (target === '') throw new SynapseDoctorError('USAGE', '--keys-from-db needs an SQLite path or a postgres:// URL');
  const { openDatabase } = await import('../../store/open.js');
  const { storedKeyRing } = await import('../../pdu/stored.js');
  const db = await openDatabase({ db: target, write: false });
  try {
    return await storedKeyRing(db);
  } finally {
    await db.close();
  }
}

export function registerPdu(program: Command, ctx: CliContext): void {
  const pdu = program
    .command('pdu')
    .description('protocol tools on one JSON document (event ids, hashes, signatures, auth, state resolution)')
    .hook('preAction', () => {
      ctx.malformedInputIsUsage = true;
    });

  pdu
    .command('canonical [file]')
    .description('print the canonical JSON form of the document')
    .action(async (file: string | undefined) => {
      const { pduCanonical } = await pduLib();
      writeOut(pduCanonical(await readInput(file)));
    });

  pdu
    .command('event-id [file]')
    .description('compute the event id (v3+: reference hash; v1/v2: the event_id field)')
    .requiredOption('--room-version <version>', 'room version of the event')
    .action(async (file: string | undefined, opts: Opts, cmd: Command) => {
      const { pduEventId } = await pduLib();
      const { event_id, invalid } = pduEventId(await readInput(file, 'event'), opts.roomVersion!);
      // Not valid on receipt, but stored events still have ids (as Synapse computes them): say so on stderr.
      if (invalid !== undefined) warn(ctx, `not a valid event on receipt in room version ${opts.roomVersion}: ${invalid}; its id is computed as Synapse computes ids of stored events`);
      if (globalOptions(cmd).json) writeJson({ event_id });
      else writeOut(event_id);
    });

  pdu
    .command('redact [file]')
    .description('print the event redacted under the room version’s redaction algorithm')
    .requiredOption('--room-version <version>', 'room version of the event')
    .action(async (file: string | undefined, opts: Opts) => {
      const { pduRedact, stringifyJson } = await pduLib();
      writeOut(stringifyJson(pduRedact(await readInput(file, 'event'), opts.roomVersion!)));
    });

  pdu
    .command('check-hash [file]')
    .description('recompute the content hash and compare it with hashes.sha256 (exit 1 on mismatch)')
    .option('--room-version <version>', 'room version of the event (the content hash is the same in all)')
    .action(async (file: string | undefined, opts: Opts, cmd: Command) => {
      const { pduCheckHash } = await pduLib();
      const r = pduCheckHash(await readInput(file, 'event'), opts.roomVersion);
      if (globalOptions(cmd).json) writeJson({ computed: r.computed, expected: r.expected, ok: r.ok });
      else if (r.ok) writeOut(`ok: content hash matches (sha256 ${r.computed})`);
      else writeOut(`mismatch: computed sha256 ${r.computed}, event has ${r.expected ?? 'no hashes.sha256'}`);
      ctx.exitCode = r.ok ? EXIT.success : EXIT.findings;
    });

  pdu
    .command('sign [file]')
    .description("sign a JSON object; with --room-version, hash and sign an event (key: --signing-key, Synapse's signing.key, or --seed with --key-id)")
    .option('--signing-key <file>', "Synapse's signing.key (lines \"ed25519 VERSION SEED\"; the first key signs unless --key-id picks one)")
    .option('--seed <base64>', 'Base64 of the 32-byte ed25519 seed (with --key-id)')
    .requiredOption('--server <name>', 'server name the signature is filed under')
    .option('--key-id <ed25519:id>', 'key id, e.g. ed25519:a_abcd')
    .option('--room-version <version>', 'treat the input as an event of this room version')
    .action(async (file: string | undefined, opts: Opts) => {
      const { pduSign, stringifyJson } = await pduLib();
      const signingKeyFile = opts.signingKey === undefined ? undefined : await readInput(opts.signingKey, 'signing key file');
      const signed = pduSign(await readInput(file), {
        server: opts.server!,
        ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
        ...(signingKeyFile !== undefined ? { signingKeyFile } : {}),
        ...(opts.keyId !== undefined ? { keyId: opts.keyId } : {}),
        ...(opts.roomVersion !== undefined ? { roomVersion: opts.roomVersion } : {}),
      });
      writeOut(stringifyJson(signed));
    });

  pdu
    .command('verify [file]')
    .description('verify signatures (exit 1 unless valid); with --room-version, all required servers must verify')
    .option('--keys <file>', 'keys: {"server": {"ed25519:id": "base64 key" | {"key", "valid_until_ts"}}}, a server key response (/_matrix/key/v2/server, server_keys_json.key_json) or a list of them')
    .option('--keys-from-db <path|url>', "read the keys a Synapse database stored (server_signature_keys; SQLite path or postgres:// URL, opened read-only)")
    .option('--room-version <version>', 'treat the input as an event of this room version (needed for events)')
    .action(async (file: string | undefined, opts: Opts, cmd: Command) => {
      const { pduVerify, parseKeyRing, mergeKeyRings } = await pduLib();
      if (opts.keys === undefined && opts.keysFromDb === undefined) {
        throw new SynapseDoctorError('USAGE', 'give the keys: --keys FILE, --keys-from-db DB, or both');
      }
      let keys = opts.keys === undefined ? undefined : parseKeyRing(await readInput(opts.keys, 'keys file'));
      if (opts.keysFromDb !== undefined) {
        const stored = await keysFromDatabase(opts.keysFromDb);
        keys = keys === undefined ? stored : mergeKeyRings(keys, stored);
      }
      const r = pduVerify(await readInput(file), keys!, opts.roomVersion);
      if (globalOptions(cmd).json) {
        writeJson({ ok: r.ok, signatures: r.signatures.map((s) => ({ server: s.server, key_id: s.key_id, ok: s.ok, status: s.status, reason: s.reason })) });
      } else {
        const rows = r.signatures.map((s) => [s.server, s.key_id, s.status, s.reason]);
        if (rows.length > 0) writeOut(renderTable([{ header: 'SERVER' }, { header: 'KEY' }, { header: 'STATUS' }, { header: 'RESULT' }], rows));
        else writeOut('no signatures');
        if (r.missing.length > 0) writeOut(`missing a verified signature from: ${printable(r.missing.join(', '))}`);
        const unknownOnly = r.missing.filter((server) => r.signatures.some((s) => s.server === server) && r.signatures.every((s) => s.server !== server || s.status === 'unknown-key'));
        if (opts.keysFromDb !== undefined && unknownOnly.length > 0) {
          writeOut(`no key of ${printable(unknownOnly.join(', '))} in the database (a Synapse database holds other servers' keys, not its own): give it with --keys`);
        }
        writeOut(r.ok ? 'ok: signatures verified' : 'failed: signatures do not verify');
      }
      ctx.exitCode = r.ok ? EXIT.success : EXIT.findings;
    });

  pdu
    .command('auth')
    .description('run the authorization rules on an event (exit 0 allowed, 1 denied)')
    .requiredOption('--room-version <version>', 'room version of the events')
    .requiredOption('--event <file>', 'the event to check (- for stdin)')
    .option('--auth-events <file>', 'JSON array of the events it cites (entries may be {"event":…, "rejected": true})')
    .option('--state <file>', "JSON array of the room's state events before the event")
    .action(async (opts: Opts, cmd: Command) => {
      const { pduAuth, authInputConflict } = await pduLib();
      if ((opts.authEvents === undefined) === (opts.state === undefined)) throw authInputConflict();
      const eventText = await readInput(opts.event, 'event');
      const listText = await readInput(opts.authEvents ?? opts.state, opts.authEvents !== undefined ? 'auth events' : 'state');
      const r = pduAuth(eventText, listText, { roomVersion: opts.roomVersion!, mode: opts.authEvents !== undefined ? 'auth-events' : 'state' });
      if (globalOptions(cmd).json) writeJson({ allowed: r.allowed, rule: r.rule, reason: r.reason });
      else writeOut(`${r.allowed ? 'allowed' : 'denied'} by rule ${r.rule}${r.slug !== r.rule ? ` (${r.slug})` : ''}: ${printable(r.reason)}`);
      ctx.exitCode = r.allowed ? EXIT.success : EXIT.findings;
    });

  pdu
    .command('resolve')
    .description('resolve state sets (state resolution of the room version)')
    .requiredOption('--room-version <version>', 'room version of the events')
    .requiredOption('--state-sets <file>', 'JSON array of state sets: [event ids] or {"type|state_key": event id}')
    .requiredOption('--events <file>', 'JSON array of every event needed (entries may be {"event":…, "rejected": true})')
    .action(async (opts: Opts, cmd: Command) => {
      const { pduResolve } = await pduLib();
      const sets = await readInput(opts.stateSets, 'state sets');
      const events = await readInput(opts.events, 'events');
      const state = pduResolve(sets, events, opts.roomVersion!);
      if (globalOptions(cmd).json) writeJson(state);
      else {
        const rows = Object.entries(state).map(([key, id]) => {
          const bar = key.indexOf('|');
          return [key.slice(0, bar), JSON.stringify(key.slice(bar + 1)), id];
        });
        writeOut(renderTable([{ header: 'TYPE' }, { header: 'STATE_KEY' }, { header: 'EVENT_ID' }], rows));
      }
    });
}
