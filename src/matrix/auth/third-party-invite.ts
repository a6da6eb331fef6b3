/**
 * Invites with `content.third_party_invite` (membership rule "If content has a third_party_invite
 * property", https://spec.matrix.org/v1.16/rooms/v12/#authorization-rules, sub-rules 1–8), and the
 * Client-Server module "Third-party invites":
 * https://spec.matrix.org/v1.16/client-server-api/#third-party-invites
 *
 * Synapse (`_verify_third_party_invite`) checks the signature before the ban, and on the first
 * `ed25519:` key that fails to verify under a public key it moves on to the next public key; the
 * spec says any signature made with any of the public keys allows, so every (public key, server,
 * key id) combination is tried here. Synapse also requires `signed.signatures` to exist before
 * anything else; here a missing `signatures` simply means no signature matches (rule 8).
 */
import { decodeBase64 } from '../base64.js';
import type { JsonObject, Pdu } from '../pdu.js';
import { stateKeyOf } from '../pdu.js';
import type { RoomVersionRules } from '../room-versions.js';
import { verifyJsonSignature } from '../signatures.js';
import type { AuthResult, AuthStep } from './auth-result.js';
import { allow, deny } from './auth-result.js';
import { show } from './ids.js';
import { PASS } from './pass-steps.js';
import { isJsonObject, own } from './power-levels.js';

/** The public keys of an m.room.third_party_invite event: `public_key` then each `public_keys[].public_key`. */
export function thirdPartyInvitePublicKeys(invite: Pdu): string[] {
  const keys: string[] = [];
  const single = own(invite.content, 'public_key');
  if (typeof single === 'string') keys.push(single);
  const list = own(invite.content, 'public_keys');
  if (Array.isArray(list)) {
    for (const entry of list) {
      if (isJsonObject(entry)) {
        const k = own(entry, 'public_key');
        if (typeof k === 'string') keys.push(k);
      }
    }
  }
  return keys;
}

/** True when some `ed25519:` signature in `signed` verifies under one of `publicKeys`. */
export function signedMatchesAnyKey(signed: JsonObject, publicKeys: readonly string[]): boolean {
  const sigs = own(signed, 'signatures');
  if (!isJsonObject(sigs)) return false;
  for (const pk of publicKeys) {
    let keyBytes: Uint8Array;
    try {
      keyBytes = decodeBase64(pk);
    } catch {
      continue;
    }
    if (keyBytes.length !== 32) continue;
    for (const server of Object.keys(sigs)) {
      const block = sigs[server];
      if (!isJsonObject(block)) continue;
      for (const keyId of Object.keys(block)) {
        if (!keyId.startsWith('ed25519:')) continue;
        try {
          if (verifyJsonSignature(signed, server, keyId, keyBytes)) return true;
        } catch {
          // not encodable as canonical JSON, or an unusable key: no match
        }
      }
    }
  }
  return false;
}

/** Sub-rules 1–8 of a third-party invite; `targetMembership` is the invitee's current membership. */
export function checkThirdPartyInvite(
  event: Pdu,
  targetMembership: string | undefined,
  authEvents: ReadonlyMap<string, Pdu>,
  _rules: RoomVersionRules,
  trace: AuthStep[],
): AuthResult {
  const target = event.state_key!;
  if (targetMembership === 'ban') {
    return deny('member.invite.3pid.banned', `${target} is banned from the room and cannot be invited`, trace);
  }
  trace.push(PASS['member.invite.3pid.banned']);
  const tpi = own(event.content, 'third_party_invite');
  const signed = isJsonObject(tpi) ? own(tpi, 'signed') : undefined;
  if (!isJsonObject(signed)) {
    return deny('member.invite.3pid.no-signed', 'content.third_party_invite has no signed object', trace);
  }
  trace.push(PASS['member.invite.3pid.no-signed']);
  const mxid = own(signed, 'mxid');
  const token = own(signed, 'token');
  if (typeof mxid !== 'string' || typeof token !== 'string') {
    return deny('member.invite.3pid.signed-fields', 'content.third_party_invite.signed lacks a string mxid or token', trace);
  }
  trace.push(PASS['member.invite.3pid.signed-fields']);
  if (mxid !== target) {
    return deny('member.invite.3pid.mxid', `signed.mxid ${show(mxid)} is not the invited user ${target}`, trace);
  }
  trace.push(PASS['member.invite.3pid.mxid']);
  const invite = authEvents.get(stateKeyOf('m.room.third_party_invite', token));
  if (invite === undefined) {
    return deny('member.invite.3pid.no-invite-event', `there is no m.room.third_party_invite event with state_key ${show(token)}`, trace);
  }
  trace.push(PASS['member.invite.3pid.no-invite-event']);
  if (invite.sender !== event.sender) {
    return deny('member.invite.3pid.sender', `${event.sender} did not send the third-party invite ${invite.event_id} (${invite.sender} did)`, trace);
  }
  trace.push(PASS['member.invite.3pid.sender']);
  const keys = thirdPartyInvitePublicKeys(invite);
  if (signedMatchesAnyKey(signed, keys)) {
    return allow('member.invite.3pid.signature', `signed is signed with a public key of third-party invite ${invite.event_id}`, trace);
  }
  trace.push(PASS['member.invite.3pid.signature']);
  return deny('member.invite.3pid.bad-signature', `no signature in signed verifies with the ${keys.length} public key(s) of ${invite.event_id}`, trace);
}
