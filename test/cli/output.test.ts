import { afterEach, describe, expect, it, vi } from 'vitest';
import { SynapseDoctorError } from '../../src/errors.js';
import { EXIT, exitCodeForClass } from '../../src/cli/exit-codes.js';
import { maskConnectionString, scrub } from '../../src/cli/mask.js';
import { newContext, reportError } from '../../src/cli/output.js';
import { MatrixFormatError } from '../../src/matrix/matrix-format-error.js';
import { printable, renderTable } from '../../src/cli/table.js';

function capture(fn: () => number): { code: number; stderr: string; stdout: string } {
  let stderr = '';
  let stdout = '';
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  try {
    return { code: fn(), stderr, stdout };
  } finally {
    e.mockRestore();
    o.mockRestore();
  }
}

describe('cli: error reporting', () => {
  afterEach(() => vi.restoreAllMocks());

  it('maps every exit class to the documented code', () => {
    expect(exitCodeForClass('usage')).toBe(2);
    expect(exitCodeForClass('input')).toBe(3);
    expect(exitCodeForClass('input', { malformedInputIsUsage: true })).toBe(2);
    expect(exitCodeForClass('database')).toBe(4);
    expect(exitCodeForClass('safety')).toBe(5);
    expect(exitCodeForClass('verify')).toBe(6);
    expect(exitCodeForClass('internal')).toBe(70);
    expect(EXIT.interrupted).toBe(130);
  });

  it('reports an unexpected error as internal (70) with a please-report hint and no stack', () => {
    const r = capture(() => reportError(new TypeError('x is undefined'), newContext(false, false)));
    expect(r.code).toBe(70);
    expect(r.stderr).toMatch(/^synapse-doctor: internal error: x is undefined\nhint: this is a bug, please report it .*synapse-doctor \d/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('writes the JSON error shape on stdout with --json and masks passwords everywhere', () => {
    const err = new SynapseDoctorError('DB_AUTH_FAILED', 'password authentication failed for postgres://bob:s3cr3t@db/x', {
      hint: 'check password=s3cr3t',
      cause: new Error('inner postgresql://bob:s3cr3t@db/x?sslmode=require'),
    });
    const ctx = newContext(true, true);
    const r = capture(() => reportError(err, ctx));
    expect(r.code).toBe(4);
    expect(r.stderr + r.stdout).not.toContain('s3cr3t');
    expect(JSON.parse(r.stdout)).toEqual({
      error: { code: 'DB_AUTH_FAILED', message: expect.stringContaining('postgres://bob:***@db/x'), hint: 'check password=***' },
    });
    expect(r.stderr).toContain('caused by: Error: inner postgresql://bob:***@db/x?sslmode=require');
  });

  it('treats malformed protocol input as usage (2) in pdu commands and bad input (3) elsewhere', () => {
    const pduCtx = { ...newContext(false, false), malformedInputIsUsage: true };
    expect(capture(() => reportError(new MatrixFormatError('bad'), pduCtx)).code).toBe(2);
    expect(capture(() => reportError(new SynapseDoctorError('BAD_EVENT_JSON', 'bad'), pduCtx)).code).toBe(2);
    expect(capture(() => reportError(new SynapseDoctorError('BAD_INPUT', 'no file'), pduCtx)).code).toBe(3);
    expect(capture(() => reportError(new SynapseDoctorError('BAD_EVENT_JSON', 'bad'), newContext(false, false))).code).toBe(3);
  });

  it('keeps a multi-line message on one line', () => {
    const r = capture(() => reportError(new SynapseDoctorError('BAD_INPUT', 'first\nsecond'), newContext(false, false)));
    expect(r.stderr).toBe('synapse-doctor: first second\n');
  });
});

describe('cli: masking and tables', () => {
  it('masks URL and key/value passwords', () => {
    expect(maskConnectionString('postgresql://u:p%40ss@h:5432/d')).toBe('postgresql://u:***@h:5432/d');
    expect(maskConnectionString("host=h password='x y' user=u")).toBe('host=h password=*** user=u');
    expect(maskConnectionString('postgres://u:p@ss@h/d')).toBe('postgres://u:***@h/d');
    expect(maskConnectionString('postgres://u@h/d?sslmode=require&password=pw&x=1')).toBe('postgres://u@h/d?sslmode=require&password=***&x=1');
  });

  it('masks only password positions: a password that is part of a host, user, database, path or hint stays out of sight without garbling them', () => {
    // password "1" inside 127.0.0.1, "synapse" as user and database, "db" inside a path
    expect(scrub('cannot reach postgres://synapse:1@127.0.0.1:5432/synapse')).toBe('cannot reach postgres://synapse:***@127.0.0.1:5432/synapse');
    expect(scrub('postgres://synapse:synapse@localhost/synapse failed; hint: is synapse running?')).toBe('postgres://synapse:***@localhost/synapse failed; hint: is synapse running?');
    expect(scrub('host=127.0.0.1 user=synapse password=1 dbname=synapse')).toBe('host=127.0.0.1 user=synapse password=*** dbname=synapse');
    expect(scrub("open /var/lib/db/homeserver.db: password='db x' rejected")).toBe('open /var/lib/db/homeserver.db: password=*** rejected');
    // text without a connection string is never touched
    expect(scrub('room !1:127.0.0.1 has 1 event')).toBe('room !1:127.0.0.1 has 1 event');
  });

  it('neutralises control characters from hostile room names and aligns columns', () => {
    expect(printable('evil\u001b[2Jname\u202e')).toBe('evil\\u001b[2Jname\\u202e');
    const t = renderTable([{ header: 'A' }, { header: 'NUM', align: 'right' }], [['long value', 5], ['x', 12345]]);
    expect(t).toBe('A             NUM\nlong value      5\nx           12345\n');
  });
});
