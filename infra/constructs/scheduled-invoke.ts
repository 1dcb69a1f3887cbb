import type { Duration } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Schedule, type ScheduleExpression, type ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { NodeFunction } from './node-function.ts';

/**
 * An EventBridge Scheduler schedule that invokes one function, with a role of its own.
 *
 * CDK would otherwise share one role per target at the stack's root, found only by a hashed id;
 * with our own role the cdk-nag acknowledgement for `function:*` (CDK grants the function's
 * versions and aliases too) sits on the one role it is about.
 */
export class ScheduledInvoke extends Construct {
  readonly schedule: Schedule;

  constructor(
    scope: Construct,
    id: string,
    props: {
      function: NodeFunction;
      description: string;
      schedule: ScheduleExpression;
      input?: ScheduleTargetInput;
      deadLetterQueue: IQueue;
      retryAttempts: number;
      maxEventAge?: Duration;
    },
  ) {
    super(scope, id);
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com'),
      description: `Lets EventBridge Scheduler invoke ${props.function.fn.node.path}`,
    });
    this.schedule = new Schedule(this, 'Schedule', {
      description: props.description,
      schedule: props.schedule,
      target: new LambdaInvoke(props.function.fn, {
        role,
        input: props.input,
        deadLetterQueue: props.deadLetterQueue,
        retryAttempts: props.retryAttempts,
        maxEventAge: props.maxEventAge,
      }),
    });
    props.function.allowWildcardResource(
      `${props.function.fn.functionArn}:*`,
      "The scheduler's role may invoke this function's versions and aliases, and nothing else.",
      role,
    );
  }
}
