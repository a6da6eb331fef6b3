/**
 * `event EVENT_ID [--with-auth-events] [--json]` and `pdu verify --keys-from-db` through the built
 * CLI, on the simulator's rejection chain (both engines) and on the real Synapse 1.67 dev-chain P
 * database (read-only, when present): the output of `event` is what the `pdu` commands read.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statement } from '../../src/store/engine/engine.js';
import { openDatabase } from '../../src/store/open.js';
import { buildScenario } from '../../src/simulator/scenarios/index.js';
import { ENGINES, freshSynapseDatabase, rawEngine, type FreshDatabase } from '../support/engines.js';
import { expectOneErrorLine, runCli, stackLines } from './run-cli.js';

const REAL = fileURLToPath(new URL('../../../shared/real-synapse/dev-chain/hsP-broken.db', import.meta.url));

interface Labels { create: string; root: string; cascade: string[]; cascadeMessages: string[]; genuine: string; after: string; oldPowerLevels: string }

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'synapse-doctor-event-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
let n = 0;
const save = async (text: string): Promise<string> => {
  const path = join(dir, `doc-${n++}.json`);
  await writeFile(path, text);
  return path;
};

for (const kind of ENGINES) {
  describe(`${kind}: event and pdu verify --keys-from-db`, () => {
    let fresh: FreshDatabase;
    let l: Labels;
    let roomId: string;
    beforeAll(async () => {
      fresh = await freshSynapseDatabase(kind, 94);
      const s = await buildScenario('rejection-chain', { engine: rawEngine(fresh.db), version: 94 });
      l = s.labels as unknown as Labels;
      roomId = s.roomId;
      expect(s.roomVersion).toBe('10');
      // a hostile stored row, and an integer beyond 2^53 in a stored event (Synapse stores what it got)
      const engine = rawEngine(fresh.db);
      await engine.transaction(async (tx) => {
        await tx.run(statement('UPDATE event_json SET json = ? WHERE event_id = ?', ['[1, 2]', l.cascadeMessages[2]!]));
        const row = await tx.queryOne<{ json: string }>(statement('SELECT json FROM event_json WHERE event_id = ?', [l.after]));
        await tx.run(statement('UPDATE event_json SET json = ? WHERE event_id = ?', [String(row!.json).replace('"content":{', '"content":{"big":12345678901234567890,'), l.after]));
      });
      await fresh.db.close();
    }, 120_000);
    afterAll(async () => {
      await fresh?.cleanup();
    });

    it('prints the event as stored: pdu event-id gives its id back, pdu verify --keys-from-db says valid', async () => {
      const ev = await runCli(['event', '--db', fresh.url, l.root]);
      expect(ev.code, ev.stderr).toBe(0);
      const event = JSON.parse(ev.stdout);
      expect(event).toMatchObject({ room_id: roomId, type: 'm.room.power_levels' });
      expect(event).not.toHaveProperty('event_id'); // v3+ events carry none (it would change the reference hash)
      expect(ev.stderr).toMatch(/^synapse-doctor: \$\S+: m\.room\.power_levels in \S+, rejected by this server \(auth_error\); room version 10 \(pdu commands: --room-version 10\)\n$/);
      const file = await save(ev.stdout);
      const id = await runCli(['pdu', 'event-id', '--room-version', '10', file]);
      expect(id).toMatchObject({ code: 0, stdout: `${l.root}\n` });
      const verify = await runCli(['pdu', 'verify', '--keys-from-db', fresh.url, '--room-version', '10', '--json', file]);
      expect(verify.code, verify.stderr).toBe(0);
      const v = JSON.parse(verify.stdout);
      expect(v.ok).toBe(true);
      expect(v.signatures.map((s: { status: string }) => s.status)).toEqual(['valid']);
      expect((await runCli(['pdu', 'check-hash', file])).code).toBe(0);
      // without --room-version: one line saying to pass it
      const noVersion = await runCli(['pdu', 'verify', '--keys-from-db', fresh.url], { input: ev.stdout });
      expect(noVersion.code).toBe(2);
      expect(expectOneErrorLine(noVersion.stderr).message).toMatch(/pass --room-version/);
    });

    it("the server's own events: its key is not in its database, and pdu verify says so", async () => {
      const ev = await runCli(['event', '--db', fresh.url, l.after]);
      expect(ev.code, ev.stderr).toBe(0);
      expect(ev.stdout).toContain('"big": 12345678901234567890'); // digit for digit
      const verify = await runCli(['pdu', 'verify', '--keys-from-db', fresh.url, '--room-version', '10'], { input: ev.stdout });
      expect(verify.code).toBe(1);
      expect(verify.stdout).toMatch(/unknown-key/);
      expect(verify.stdout).toMatch(/in the database \(a Synapse database holds other servers' keys, not its own\): give it with --keys/);
    });

    it('--with-auth-events prints the --auth-events list, rejected ones marked; pdu auth decides as explain does', async () => {
      // a cascade event: it cites the rejected root
      const dep = l.cascadeMessages[0]!;
      const [ev, auth] = await Promise.all([runCli(['event', '--db', fresh.url, dep]), runCli(['event', '--db', fresh.url, dep, '--with-auth-events'])]);
      expect(auth.code, auth.stderr).toBe(0);
      const list = JSON.parse(auth.stdout) as ({ event: { type: string }; rejected: true } | { type: string })[];
      expect(Array.isArray(list)).toBe(true);
      const cited = JSON.parse(ev.stdout).auth_events as string[];
      expect(list).toHaveLength(cited.length);
      const rejected = list.filter((e) => 'rejected' in e);
      expect(rejected).toHaveLength(1);
      expect(rejected[0]).toMatchObject({ rejected: true, event: { type: 'm.room.power_levels' } });
      const denied = await runCli(['pdu', 'auth', '--room-version', '10', '--event', await save(ev.stdout), '--auth-events', await save(auth.stdout), '--json']);
      expect(denied.code, denied.stderr).toBe(1);
      expect(JSON.parse(denied.stdout)).toMatchObject({ allowed: false, rule: '2.3' });

      // the root passes against its own auth events; the genuine rejection does not
      for (const [id, code] of [[l.root, 0], [l.genuine, 1]] as const) {
        const [e, a] = await Promise.all([runCli(['event', '--db', fresh.url, id]), runCli(['event', '--db', fresh.url, id, '--with-auth-events'])]);
        const r = await runCli(['pdu', 'auth', '--room-version', '10', '--event', await save(e.stdout), '--auth-events', await save(a.stdout)]);
        expect(r.code, `${id}: ${r.stdout}${r.stderr}`).toBe(code);
      }
    });

    it('--json: one document with the room version, the status, the event and (with the flag) its auth events', async () => {
      const r = await runCli(['event', '--db', fresh.url, l.cascadeMessages[0]!, '--with-auth-events', '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      const doc = JSON.parse(r.stdout);
      expect(Object.keys(doc)).toEqual(['format', 'event_id', 'room_id', 'room_version', 'type', 'rejected', 'outlier', 'event', 'auth_events', 'missing_auth_events']);
      expect(doc).toMatchObject({ format: 1, event_id: l.cascadeMessages[0], room_id: roomId, room_version: '10', type: 'm.room.message', rejected: 'auth_error', outlier: false, missing_auth_events: [] });
      const plain = await runCli(['event', '--db', fresh.url, l.oldPowerLevels, '--json']);
      expect(Object.keys(JSON.parse(plain.stdout))).toEqual(['format', 'event_id', 'room_id', 'room_version', 'type', 'rejected', 'outlier', 'event']);
      expect(JSON.parse(plain.stdout).rejected).toBeNull();
    });

    it('bad input: unknown event exit 3, not an event id exit 2, a stored row that is not an event exit 3; one line, no stack', async () => {
      const cases: [string[], number, RegExp][] = [
        [['event', '--db', fresh.url, '$nope'], 3, /event \$nope is not in this database/],
        [['event', '--db', fresh.url, '$nope\u001b[31m', '--with-auth-events'], 3, /\\u001b/],
        [['event', '--db', fresh.url, 'nope'], 2, /is not an event id/],
        [['event', '--db', fresh.url, ''], 2, /is not an event id/],
        [['event', '--db', fresh.url, '$'], 2, /is not an event id/],
        [['event', l.root], 2, /no database given/],
        [['event', '--db', fresh.url, l.cascadeMessages[2]!], 3, /stored JSON of .* is not a JSON object/],
        [['event', '--db', join(dir, 'absent.db'), l.root], 3, /does not exist/],
      ];
      for (const [args, code, message] of cases) {
        const r = await runCli(args);
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(code);
        expect(stackLines(r.stderr)).toEqual([]);
        expect(expectOneErrorLine(r.stderr).message).toMatch(message);
        expect(r.stderr).not.toContain('\u001b');
        expect(r.stdout).toBe('');
      }
      const json = await runCli(['event', '--db', fresh.url, '$nope', '--json']);
      expect(JSON.parse(json.stdout).error.code).toBe('EVENT_NOT_FOUND');
    });

    it('an auth event the database lacks: a warning naming it, and pdu auth calls the input incomplete (exit 3)', async () => {
      const db = await openDatabase({ db: fresh.url, write: true });
      try {
        await rawEngine(db).transaction(async (tx) => {
          await tx.run(statement('UPDATE event_json SET event_id = ? WHERE event_id = ?', ['$gone', l.oldPowerLevels]));
        });
        const [e, a] = await Promise.all([runCli(['event', '--db', fresh.url, l.genuine]), runCli(['event', '--db', fresh.url, l.genuine, '--with-auth-events'])]);
        expect(a.code).toBe(0);
        expect(a.stderr).toContain(`synapse-doctor: warning: this database does not hold the auth event ${l.oldPowerLevels}`);
        const r = await runCli(['pdu', 'auth', '--room-version', '10', '--event', await save(e.stdout), '--auth-events', await save(a.stdout)]);
        expect(r.code).toBe(3);
        expect(expectOneErrorLine(r.stderr).message).toContain(l.oldPowerLevels);
      } finally {
        await rawEngine(db).transaction(async (tx) => {
          await tx.run(statement('UPDATE event_json SET event_id = ? WHERE event_id = ?', [l.oldPowerLevels, '$gone']));
        });
        await db.close();
      }
    });
  });

  describe(`${kind}: event --with-auth-events in room version 12`, () => {
    it('adds the create event, which v12 events no longer cite', async () => {
      const fresh = await freshSynapseDatabase(kind, 94);
      try {
        const s = await buildScenario('rejection-chain', { engine: rawEngine(fresh.db), version: 94, roomVersion: '12' });
        const l = s.labels as unknown as Labels;
        await fresh.db.close();
        const [e, a] = await Promise.all([runCli(['event', '--db', fresh.url, l.root]), runCli(['event', '--db', fresh.url, l.root, '--with-auth-events'])]);
        expect(a.code, a.stderr).toBe(0);
        const cited = JSON.parse(e.stdout).auth_events as string[];
        expect(cited).not.toContain(l.create);
        const list = JSON.parse(a.stdout) as { type: string }[];
        expect(list).toHaveLength(cited.length + 1);
        expect(list.at(-1)).toMatchObject({ type: 'm.room.create' });
        const id = await runCli(['pdu', 'event-id', '--room-version', '12'], { input: e.stdout });
        expect(id.stdout).toBe(`${l.root}\n`);
        const r = await runCli(['pdu', 'auth', '--room-version', '12', '--event', await save(e.stdout), '--auth-events', await save(a.stdout)]);
        expect(r.code, r.stdout + r.stderr).toBe(0);
      } finally {
        await fresh.cleanup();
      }
    }, 120_000);
  });
}

describe.skipIf(!existsSync(REAL))('real Synapse 1.67 (dev-chain P, read-only): event piped into the pdu tools', () => {
  const ROOT = '$Tn-qH_vdOKLl7_NXbjWqLNBSy4GW8WajCRstfxEDNb0'; // join_rules by quinn (localhost:8492), marked rejected on P
  const CRAFTED = '$-r__YFtUHk3JJvUnh5c-ppOhU4SIYL8MEeamh22gevA'; // signed with R's (localhost:8493) real key, genuinely unauthorised
  it('event | pdu event-id gives the id; pdu verify --keys-from-db says valid with the keys P stored', async () => {
    for (const id of [ROOT, CRAFTED]) {
      const ev = await runCli(['event', '--db', REAL, id]);
      expect(ev.code, ev.stderr).toBe(0);
      const eid = await runCli(['pdu', 'event-id', '--room-version', '10'], { input: ev.stdout });
      expect(eid.stdout).toBe(`${id}\n`);
      const verify = await runCli(['pdu', 'verify', '--keys-from-db', REAL, '--room-version', '10'], { input: ev.stdout });
      expect(verify.code, verify.stdout + verify.stderr).toBe(0);
      expect(verify.stdout).toMatch(/^localhost:849[23]\s+ed25519:a_\w+\s+valid\s+verified$/m);
      expect(verify.stdout).toContain('ok: signatures verified');
    }
  });
  it('the keys as server_keys_json stores them (server key responses) verify the same events', async () => {
    const db = await openDatabase({ db: REAL }); // read-only
    let responses: unknown[];
    try {
      responses = (await db.main.query<{ key_json: Uint8Array | string }>('SELECT key_json FROM server_keys_json')).map((r) => JSON.parse(typeof r.key_json === 'string' ? r.key_json : Buffer.from(r.key_json).toString('utf8')));
    } finally {
      await db.close();
    }
    expect(responses.length).toBeGreaterThanOrEqual(2);
    const keys = await save(JSON.stringify(responses));
    const single = await save(JSON.stringify(responses.find((r) => (r as { server_name: string }).server_name === 'localhost:8492')));
    const ev = await runCli(['event', '--db', REAL, ROOT]);
    for (const k of [keys, single]) {
      const r = await runCli(['pdu', 'verify', '--keys', k, '--room-version', '10', '--json'], { input: ev.stdout });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ ok: true, signatures: [{ server: 'localhost:8492', key_id: 'ed25519:a_96b1', ok: true, status: 'valid', reason: 'verified' }] });
    }
  });
  it('--with-auth-events marks what P rejected: the crafted event is denied for citing rejected PL #4, as P denied it', async () => {
    const [ev, auth] = await Promise.all([runCli(['event', '--db', REAL, CRAFTED]), runCli(['event', '--db', REAL, CRAFTED, '--with-auth-events'])]);
    const list = JSON.parse(auth.stdout) as object[];
    expect(list.filter((e) => 'rejected' in e)).toHaveLength(1);
    const r = await runCli(['pdu', 'auth', '--room-version', '10', '--event', await save(ev.stdout), '--auth-events', await save(auth.stdout), '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ allowed: false, rule: '2.3' });
    // with PL #4 taken as accepted, it fails on its own merits (rick has power 0)
    const accepted = JSON.stringify(list.map((e) => ('rejected' in e ? (e as unknown as { event: object }).event : e)));
    const own = await runCli(['pdu', 'auth', '--room-version', '10', '--event', await save(ev.stdout), '--auth-events', await save(accepted), '--json']);
    expect(own.code).toBe(1);
    expect(JSON.parse(own.stdout).rule).not.toBe('2.3');
  });
});
