import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import type { CompiledTemplates } from '../../functions/adapters/compiled-templates.ts';
import { compileTemplates } from '../../functions/adapters/mjml-compiler.ts';
import { ApiEnv, apiDeps } from '../../functions/roots/api.ts';
import { CollectEnv, collectDeps } from '../../functions/roots/collect.ts';
import { FeedbackEnv, feedbackDeps } from '../../functions/roots/feedback.ts';
import { IngestObjectEnv, ingestObjectDeps } from '../../functions/roots/ingest-object.ts';
import { ProcessSignupEnv, processSignupDeps } from '../../functions/roots/process-signup.ts';
import { RankPapersEnv, rankPapersDeps } from '../../functions/roots/rank-papers.ts';
import { SendDigestEnv, sendDigestDeps } from '../../functions/roots/send-digest.ts';
import { parseEnv } from '../../functions/shared/config.ts';
import { buildApp } from '../../infra/app.ts';

const cdkContext = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')).context;

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/**
 * Resolves CloudFormation intrinsics the way CloudFormation would at deploy time, with stand-in
 * account, region and physical names: `Ref` gives what each resource type's Ref gives (a queue's
 * URL, a secret's ARN, a table's name), imports are followed to the exporting stack.
 */
function resolver(templates: Template[]) {
  const resources: Resources = Object.assign({}, ...templates.map((t) => t.toJSON().Resources));
  const exports = new Map<string, unknown>();
  for (const t of templates) {
    for (const output of Object.values(t.toJSON().Outputs ?? {}) as {
      Value: unknown;
      Export?: { Name: string };
    }[]) {
      if (output.Export) exports.set(output.Export.Name, output.Value);
    }
  }
  const pseudo: Record<string, string> = {
    'AWS::AccountId': '123456789012',
    'AWS::Region': 'eu-west-1',
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
  };
  const refOf = (id: string): string => {
    if (pseudo[id]) return pseudo[id] as string;
    const type = resources[id]?.Type;
    if (type === 'AWS::SQS::Queue') return `https://sqs.eu-west-1.amazonaws.com/123456789012/${id}`;
    if (type === 'AWS::SecretsManager::Secret')
      return `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${id}-AbCdEf`;
    if (!type) throw new Error(`Ref to an unknown resource ${id}`);
    return id.toLowerCase();
  };
  const resolve = (value: unknown): string => {
    if (typeof value === 'string') return value;
    const node = value as Record<string, unknown>;
    if ('Ref' in node) return refOf(String(node.Ref));
    if ('Fn::Join' in node) {
      const [sep, parts] = node['Fn::Join'] as [string, unknown[]];
      return parts.map(resolve).join(sep);
    }
    if ('Fn::GetAtt' in node) {
      const [id, attribute] = node['Fn::GetAtt'] as [string, string];
      return attribute === 'Arn' ? `arn:aws:service:eu-west-1:123456789012:${id}` : `${id}-${attribute}`;
    }
    if ('Fn::ImportValue' in node) return resolve(exports.get(String(node['Fn::ImportValue'])));
    throw new Error(`cannot resolve ${JSON.stringify(value)}`);
  };
  return resolve;
}

/** The variable names a function's schema reads (objects, intersections and refinements walked). */
function schemaKeys(schema: z.ZodType): string[] {
  if (schema instanceof z.ZodObject) return Object.keys(schema.shape);
  if (schema instanceof z.ZodIntersection) {
    return [...schemaKeys(schema.def.left as z.ZodType), ...schemaKeys(schema.def.right as z.ZodType)];
  }
  if (schema instanceof z.ZodPipe) return schemaKeys(schema.def.in as z.ZodType);
  throw new Error(`unexpected schema ${schema.constructor.name}`);
}

/** Set by the runtime or the construct's defaults, not read by any root. */
const PLATFORM = new Set(['NODE_OPTIONS', 'AWS_NODEJS_CONNECTION_REUSE_ENABLED']);

let environments: Map<string, Record<string, string>>;
let templates: CompiledTemplates;
beforeAll(async () => {
  const { stateful, stateless } = await buildApp(
    new App({ context: { ...cdkContext, 'aws:cdk:bundling-stacks': [] } }),
  );
  const data = Template.fromStack(stateful);
  const app = Template.fromStack(stateless);
  const resolve = resolver([data, app]);
  environments = new Map();
  // Paperboy's own functions (CDK adds a notification handler of its own, on another runtime).
  for (const fn of Object.values(
    app.findResources('AWS::Lambda::Function', { Properties: { Runtime: 'nodejs22.x' } }),
  )) {
    const handler = String((fn.Properties as { Description?: string }).Description);
    const variables = (fn.Properties as { Environment?: { Variables?: Record<string, unknown> } }).Environment
      ?.Variables;
    environments.set(
      handler,
      Object.fromEntries(Object.entries(variables ?? {}).map(([name, value]) => [name, resolve(value)])),
    );
  }
  templates = await compileTemplates();
});

const functions = [
  { match: /^Parses paper files/u, schema: IngestObjectEnv, build: (e: never) => ingestObjectDeps(e) },
  { match: /^Ranks the day/u, schema: RankPapersEnv, build: (e: never) => rankPapersDeps(e) },
  {
    match: /^Renders and sends/u,
    schema: SendDigestEnv,
    build: (e: never) => sendDigestDeps(e, { templates }),
  },
  { match: /^Subscribe, confirm/u, schema: ApiEnv, build: (e: never) => apiDeps(e, { templates }) },
  {
    match: /^Works queued sign-ups/u,
    schema: ProcessSignupEnv,
    build: (e: never) => processSignupDeps(e, { templates }),
  },
  { match: /^SES events/u, schema: FeedbackEnv, build: (e: never) => feedbackDeps(e) },
  { match: /^Fetches Hugging Face/u, schema: CollectEnv, build: (e: never) => collectDeps(e) },
] as const;

describe("each function's synthesized environment", () => {
  it('covers the seven functions the app deploys', () => {
    expect(environments.size).toBe(7);
    for (const { match } of functions) expect([...environments.keys()].some((d) => match.test(d))).toBe(true);
  });

  it.each(functions)(
    'is enough to build its dependencies, with no variable it does not read ($match)',
    ({ match, schema, build }) => {
      const [, variables] = [...environments].find(([description]) => match.test(description)) ?? [];
      expect(variables).toBeDefined();
      const env = parseEnv(schema as z.ZodType, variables as Record<string, string>);
      expect(() => build(env as never)).not.toThrow();
      const read = new Set(schemaKeys(schema as z.ZodType));
      const unread = Object.keys(variables as object).filter(
        (name) => !read.has(name) && !PLATFORM.has(name),
      );
      expect(unread).toEqual([]);
    },
  );
});
