/**
 * The committed ruma vector files are the ones ruma-vectors.ts generates (set UPDATE_RUMA_VECTORS=1
 * to rewrite them); external-vectors.test.ts runs them. Also checks that every ruma test is there.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ExternalVectorFile } from './external-vectors.js';
import { buildMemberFile, buildPowerLevelsFile } from './ruma-vectors.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../vectors/auth/external');

const FILES: Array<[string, () => ExternalVectorFile, number]> = [
  // [file, builder, number of #[test] functions ported from the source file]
  ['ruma-room-member.json', buildMemberFile, 66],
  ['ruma-room-power-levels.json', buildPowerLevelsFile, 20],
];

describe('ruma vectors are generated', () => {
  for (const [name, build, tests] of FILES) {
    it(`${name} is what ruma-vectors.ts builds`, () => {
      const built = JSON.parse(JSON.stringify(build())) as ExternalVectorFile;
      const file = join(DIR, name);
      if (process.env.UPDATE_RUMA_VECTORS === '1') writeFileSync(file, JSON.stringify(built, null, 1) + '\n');
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(built);
    });
    it(`${name} ports ${tests} ruma tests, each from its own line`, () => {
      const names = new Set(build().groups.map((g) => g.source_test));
      expect(names.size).toBe(tests);
    });
  }
});
