import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { REQUIRED_OUTPUTS, stackNames } from '../../functions/cli/aws-target.ts';
import { buildApp } from '../../infra/app.ts';

const cdkContext = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')).context;

let built: Awaited<ReturnType<typeof buildApp>>;
beforeAll(async () => {
  built = await buildApp(new App({ context: { ...cdkContext, 'aws:cdk:bundling-stacks': [] } }));
}, 120_000);

describe("the CLI's --aws finds a stage from what the stacks output", () => {
  it('names the stacks as the app does', () => {
    const stage = built.app.node.tryGetContext('paperboy:stage') as string;
    expect(stackNames(stage)).toEqual({ data: built.stateful.stackName, app: built.stateless.stackName });
  });

  it('every output the CLI reads is an output of its stack', () => {
    const outputsOf = (template: Template) => Object.keys(template.toJSON().Outputs ?? {});
    expect(outputsOf(Template.fromStack(built.stateful))).toEqual(
      expect.arrayContaining([...REQUIRED_OUTPUTS.data]),
    );
    expect(outputsOf(Template.fromStack(built.stateless))).toEqual(
      expect.arrayContaining([...REQUIRED_OUTPUTS.app]),
    );
  });
});
