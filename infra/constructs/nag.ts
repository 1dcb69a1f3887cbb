import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * How cdk-nag names a resource in an IAM5 finding id (`AwsSolutions-IAM5[Resource::<this>]`):
 * CloudFormation intrinsics flattened to text, `Ref` and `GetAtt` in angle brackets. Kept here
 * rather than imported from cdk-nag's private files; the infra test that synthesizes with zero
 * unacknowledged findings fails if the two ever disagree.
 */
export function nagResourceName(scope: IConstruct, arn: string): string {
  return flatten(Stack.of(scope).resolve(arn));
}

function flatten(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/gu, '<').replace(/\}/gu, '>');
  if (typeof node === 'object' && node !== null) {
    const value = node as Record<string, unknown>;
    if ('Fn::Join' in value) {
      const [delimiter, items] = value['Fn::Join'] as [string, unknown[]];
      return items.map(flatten).join(delimiter);
    }
    if ('Fn::Sub' in value) return flatten(value['Fn::Sub']);
    if ('Fn::GetAtt' in value) {
      const [resource, attribute] = value['Fn::GetAtt'] as [unknown, unknown];
      return `<${flatten(resource)}.${flatten(attribute)}>`;
    }
    if ('Fn::ImportValue' in value) return flatten(value['Fn::ImportValue']);
    if ('Ref' in value) return `<${flatten(value.Ref)}>`;
  }
  return JSON.stringify(node);
}

/** Acknowledges an IAM5 finding for one wildcard resource, with the reason it is needed. */
export function acknowledgeWildcard(scope: IConstruct, arn: string, reason: string): void {
  Validations.of(scope).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${nagResourceName(scope, arn)}]`,
    reason,
  });
}
