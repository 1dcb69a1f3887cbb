import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.ts';
import { SIGNUP_WORKERS } from '../../infra/constructs/subscription-api.ts';

const cdkContext = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')).context;
const templateOf = async (extra: Record<string, unknown> = {}) =>
  Template.fromStack(
    (await buildApp(new App({ context: { ...cdkContext, 'aws:cdk:bundling-stacks': [], ...extra } })))
      .stateless,
  );

/** The logical id of the sign-up worker (its description says what it does). */
function signupFunction(template: Template): { id: string; env: Record<string, unknown> } {
  const found = Object.entries(template.findResources('AWS::Lambda::Function')).find(([, r]) =>
    String(r.Properties?.Description ?? '').startsWith('Works queued sign-ups'),
  );
  expect(found).toBeDefined();
  const [id, resource] = found as [
    string,
    { Properties: { Environment: { Variables: Record<string, unknown> } } },
  ];
  return { id, env: resource.Properties.Environment.Variables };
}

describe('the sign-up worker is paced (a big import without --confirmed cannot outrun SES)', () => {
  it('polls its queue with at most SIGNUP_WORKERS invocations, each told its share and allowed to read the quota', async () => {
    const template = await templateOf();
    const { id, env } = signupFunction(template);
    expect(SIGNUP_WORKERS).toBe(2);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: id },
      BatchSize: 10,
      ScalingConfig: { MaximumConcurrency: SIGNUP_WORKERS },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(env.SIGNUP_WORKERS).toBe(String(SIGNUP_WORKERS));
    expect(env).not.toHaveProperty('SEND_RATE_CAP');
    const policies = template.findResources('AWS::IAM::Policy');
    const getAccount = Object.values(policies).filter(
      (policy) =>
        JSON.stringify(policy.Properties?.Roles ?? '').includes(id.replace(/[0-9A-F]{8}$/u, '')) &&
        JSON.stringify(policy.Properties?.PolicyDocument).includes('ses:GetAccount'),
    );
    expect(getAccount).toHaveLength(1);
  });

  it('takes the send rate cap too', async () => {
    const template = await templateOf({ 'paperboy:sendRateCap': '3' });
    expect(signupFunction(template).env).toMatchObject({ SEND_RATE_CAP: '3' });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      ScalingConfig: Match.objectLike({ MaximumConcurrency: SIGNUP_WORKERS }),
    });
  });
});
