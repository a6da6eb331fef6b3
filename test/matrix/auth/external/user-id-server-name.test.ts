/**
 * The user id check v12 applies to `additional_creators` validates the server name (appendices,
 * "Server Name"), as Synapse's UserID.is_valid does; found by ruma's vector '@::example.org'.
 */
import { describe, expect, it } from 'vitest';
import { isValidServerName, isValidUserIdWithServerName } from '../../../../src/matrix/ids.js';

describe('isValidServerName', () => {
  it('accepts DNS names, IPv4, IPv6 literals, with or without a port', () => {
    for (const s of ['matrix.org', 'localhost', 'a-b.example', '1.2.3.4', '1.2.3.4:8448', 'example.org:443', '[::1]', '[1234:5678::abcd]:80']) {
      expect(isValidServerName(s), s).toBe(true);
    }
  });
  it('refuses empty labels, bad ports, stray colons and odd characters', () => {
    for (const s of ['', ':example.org', 'example..org', 'example.org:', 'example.org:123456', 'example.org:http', 'ex_ample.org', '[::1', '[]', 'exa mple.org']) {
      expect(isValidServerName(s), s).toBe(false);
    }
  });
});

describe('isValidUserIdWithServerName', () => {
  it('needs @, a colon and a valid server name', () => {
    expect(isValidUserIdWithServerName('@alice:matrix.local')).toBe(true);
    expect(isValidUserIdWithServerName('@::example.org')).toBe(false);
    expect(isValidUserIdWithServerName('@alice')).toBe(false);
    expect(isValidUserIdWithServerName('@alice:')).toBe(false);
    expect(isValidUserIdWithServerName(42)).toBe(false);
  });
});
