import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;

function files(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

function imports(file: string): string[] {
  const source = readFileSync(join(root, file), 'utf8');
  return [...source.matchAll(/^\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/gmu)].map(
    (m) => m[1] as string,
  );
}

/** Where a relative import lands, as a repository path; package imports stay as they are. */
function target(file: string, specifier: string): string {
  return specifier.startsWith('.') ? relative(root, join(root, file, '..', specifier)) : specifier;
}

describe('dependency rules (STYLE.md)', () => {
  it('core imports only core and pure libraries: no AWS SDK, no process.env, no clock', () => {
    const allowedPackages = new Set(['zod', 'entities', 'saxes', 'stemmer', 'node:crypto']);
    for (const file of files('functions/core')) {
      for (const spec of imports(file)) {
        const to = target(file, spec);
        expect(to.startsWith('functions/core/') || allowedPackages.has(to), `${file} imports ${spec}`).toBe(
          true,
        );
      }
      const source = readFileSync(join(root, file), 'utf8');
      expect(source, `${file} reads process.env`).not.toMatch(/process\.env/u);
      expect(source, `${file} reads the clock`).not.toMatch(/new Date\(\)|Date\.now\(\)/u);
    }
  });

  it('adapters and shared code never reach handlers, the local stack or infra', () => {
    for (const file of [...files('functions/adapters'), ...files('functions/shared')]) {
      for (const spec of imports(file)) {
        expect(target(file, spec), `${file} imports ${spec}`).not.toMatch(
          /^(functions\/(handlers|local)|infra)\//u,
        );
      }
    }
  });

  it('infra refers to runtime code only through entry paths, key names, shared validators and the template compiler', () => {
    const allowed = new Set([
      'functions/adapters/dynamo-keys.ts',
      'functions/adapters/mjml-compiler.ts',
      'functions/core/ingest-file.ts',
      'functions/core/schedule-policy.ts',
      'functions/shared/config.ts',
    ]);
    for (const file of files('infra')) {
      for (const spec of imports(file)) {
        const to = target(file, spec);
        if (to.startsWith('functions/')) expect(allowed.has(to), `${file} imports ${spec}`).toBe(true);
      }
    }
  });

  it('builds DynamoDB keys only in the keys module', () => {
    for (const file of files('functions').filter((f) => f !== 'functions/adapters/dynamo-keys.ts')) {
      const source = readFileSync(join(root, file), 'utf8');
      expect(source, `${file} builds a key inline`).not.toMatch(
        /['`](PAPER|SUB|DAY|EDITION|DELIVERY|FILE|SUBS)#/u,
      );
    }
  });
});
