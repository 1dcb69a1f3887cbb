import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.ts';

const cdkContext = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')).context;

describe('cdk synth with bundling', () => {
  it('bundles every function with the local esbuild, offline, templates beside the mail senders', {
    timeout: 120_000,
  }, async () => {
    const outdir = mkdtempSync(join(tmpdir(), 'paperboy-cdk-'));
    try {
      const { app } = await buildApp(new App({ outdir, context: cdkContext }));
      app.synth();
      const assets = readdirSync(outdir).filter((name) => name.startsWith('asset.'));
      const bundles = assets.filter((a) => existsSync(join(outdir, a, 'index.mjs')));
      expect(bundles).toHaveLength(7);
      const withTemplates = bundles.filter((a) => existsSync(join(outdir, a, 'templates.json')));
      expect(withTemplates).toHaveLength(3);
      // The bundle carries compiled HTML, not the MJML compiler.
      for (const bundle of bundles) {
        expect(readFileSync(join(outdir, bundle, 'index.mjs'), 'utf8')).not.toContain('mjml-core');
      }
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
