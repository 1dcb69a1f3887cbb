import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;

function files(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

/**
 * Every module a file refers to, in every form TypeScript allows: `import … from`, `import type`,
 * `export … from`, a bare `import 'x'`, a dynamic `import('x')` and an inline type
 * `import('x').Name`. Comments are removed first, so an example in a comment is not an import.
 */
function imports(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//gu, '').replace(/(^|[^:])\/\/.*$/gmu, '$1');
  const found = [
    ...code.matchAll(/^\s*(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/gmu),
    ...code.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gmu),
    ...code.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/gu),
  ];
  return found.map((m) => m[1] as string);
}

/** Where a relative import lands, as a repository path; package imports stay as they are. */
function target(file: string, specifier: string): string {
  return specifier.startsWith('.') ? relative(root, join(root, file, '..', specifier)) : specifier;
}

const source = (file: string) => readFileSync(join(root, file), 'utf8');
const importsOf = (file: string) => imports(source(file)).map((spec) => target(file, spec));
const all = [...files('functions'), ...files('infra'), ...files('bench')];

/** The modules a file reaches, transitively: what a bundler would put in its bundle. */
function closure(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const to of importsOf(file)) if (to.endsWith('.ts')) visit(to);
    // Package names are kept as leaves: `@aws-sdk/client-sesv2`, `mjml`.
    for (const to of importsOf(file)) if (!to.endsWith('.ts')) seen.add(to);
  };
  visit(entry);
  return seen;
}

describe('the import scanner', () => {
  it('sees type imports, inline import() types and dynamic imports, and ignores comments', () => {
    const sample = [
      "import type { A } from './a.ts';",
      "import { b } from './b.ts';",
      "export { c } from './c.ts';",
      "import './d.ts';",
      "type E = import('./e.ts').E;",
      "const f = await import('./f.ts');",
      "// import { g } from './g.ts';",
      "/* import { h } from './h.ts'; */",
    ].join('\n');
    expect(imports(sample)).toEqual(['./a.ts', './b.ts', './c.ts', './d.ts', './e.ts', './f.ts']);
  });
});

describe('dependency rules (STYLE.md)', () => {
  it('core imports only core and pure libraries: no AWS SDK, no process.env, no clock', () => {
    const allowedPackages = new Set(['zod', 'entities', 'saxes', 'stemmer', 'node:crypto', 'node:url']);
    for (const file of files('functions/core')) {
      for (const to of importsOf(file)) {
        expect(to.startsWith('functions/core/') || allowedPackages.has(to), `${file} imports ${to}`).toBe(
          true,
        );
      }
      expect(source(file), `${file} reads process.env`).not.toMatch(/process\.env/u);
      expect(source(file), `${file} reads the clock`).not.toMatch(/new Date\(\)|Date\.now\(\)/u);
    }
  });

  it('adapters and shared code never reach handlers, roots, triggers, the local stack, the CLI or infra', () => {
    for (const file of [...files('functions/adapters'), ...files('functions/shared')]) {
      for (const to of importsOf(file)) {
        expect(to, `${file} imports ${to}`).not.toMatch(
          /^(functions\/(handlers|roots|triggers|local|cli)|infra)\//u,
        );
      }
    }
  });

  it('triggers depend on ports, never on adapters or an AWS SDK client', () => {
    for (const file of files('functions/triggers')) {
      for (const to of importsOf(file)) {
        expect(to, `${file} imports ${to}`).not.toMatch(/^functions\/(adapters|roots|local)\/|^@aws-sdk\//u);
      }
    }
  });

  it('each Lambda entry only parses its environment, builds its root and hands it to its trigger', () => {
    for (const file of files('functions/handlers')) {
      for (const to of importsOf(file)) {
        expect(to, `${file} imports ${to}`).toMatch(
          /^functions\/(roots|triggers)\/|^functions\/shared\/config\.ts$/u,
        );
      }
    }
  });

  it('infra refers to runtime code only through entry paths, key and variable names, and shared validators', () => {
    const allowed = new Set([
      'functions/adapters/dynamo-keys.ts',
      'functions/adapters/mjml-compiler.ts',
      // The collector's settings schema (validated at synth time) and its prefix.
      'functions/core/collect/config.ts',
      'functions/core/errors.ts',
      'functions/core/ingest-file.ts',
      'functions/core/rate-limits.ts',
      'functions/core/schedule-policy.ts',
      'functions/shared/config.ts',
      'functions/shared/env-names.ts',
      // Metric names (no Powertools): what the alarms and the dashboard read is what is emitted.
      'functions/shared/metric-names.ts',
    ]);
    for (const file of files('infra')) {
      for (const to of importsOf(file)) {
        if (to.startsWith('functions/')) expect(allowed.has(to), `${file} imports ${to}`).toBe(true);
      }
    }
  });

  it('builds DynamoDB keys only in the keys module (functions and bench alike)', () => {
    for (const file of [...files('functions'), ...files('bench')]) {
      if (file === 'functions/adapters/dynamo-keys.ts') continue;
      expect(source(file), `${file} builds a key inline`).not.toMatch(
        /['`](PAPER|SUB|DAY|EDITION|DELIVERY|FILE|SUBS|TITLE|SIGNAL|SENT|PART|INGEST)#/u,
      );
    }
  });

  it('imports zod as a namespace, which bundlers can tree-shake (the named export drags in every locale)', () => {
    for (const file of all) {
      expect(source(file), `${file} imports { z }`).not.toMatch(
        /import\s+(type\s+)?\{\s*z\s*\}\s+from\s+'zod'/u,
      );
    }
  });

  it('has no import cycle anywhere, type imports included', () => {
    const graph = new Map(all.map((file) => [file, importsOf(file).filter((to) => to.endsWith('.ts'))]));
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push([...path.slice(path.indexOf(file)), file].join(' → '));
        return;
      }
      state.set(file, 'open');
      for (const to of graph.get(file) ?? []) visit(to, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of all) visit(file, []);
    expect(cycles).toEqual([]);
  });
});

describe('what each function carries', () => {
  const bundle = (handler: string) => closure(`functions/handlers/${handler}`);

  it('no function carries the MJML compiler (templates are compiled at synth time)', () => {
    for (const handler of readdirSync(join(root, 'functions/handlers'))) {
      expect(bundle(handler).has('mjml'), handler).toBe(false);
    }
  });

  it('ingest and rank carry no SES, Secrets Manager or template code; the api carries no S3 client', () => {
    for (const handler of ['ingest-object.ts', 'rank-papers.ts']) {
      const modules = bundle(handler);
      expect(modules.has('@aws-sdk/client-sesv2'), handler).toBe(false);
      expect(modules.has('@aws-sdk/client-secrets-manager'), handler).toBe(false);
      expect(modules.has('functions/adapters/compiled-templates.ts'), handler).toBe(false);
    }
    expect(bundle('ingest-object.ts').has('@aws-sdk/client-sqs')).toBe(false);
    expect(bundle('api.ts').has('@aws-sdk/client-s3')).toBe(false);
    expect(bundle('send-digest.ts').has('@aws-sdk/client-s3')).toBe(false);
    // The check can fail: the ingest function does carry S3.
    expect(bundle('ingest-object.ts').has('@aws-sdk/client-s3')).toBe(true);
  });
});
