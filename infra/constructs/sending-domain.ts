import { Aws, CfnOutput, RemovalPolicy } from 'aws-cdk-lib';
import { EmailIdentity, type IConfigurationSet, Identity } from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';

export interface SendingDomainProps {
  /** The domain SES signs for, e.g. example.org. */
  domain: string;
  /** MAIL FROM subdomain label: `mail` gives mail.example.org. */
  mailFromSubdomain: string;
  configurationSet: IConfigurationSet;
}

/**
 * The sending domain as an SES (v2) identity: Easy DKIM (three CNAMEs that SES rotates keys
 * behind) and a custom MAIL FROM subdomain (so bounces come back to, and SPF aligns with, the
 * operator's own domain). Each DNS record to publish is a stack output, `name TYPE value`, so the
 * operator copies them into their DNS; SES verifies the domain once they resolve.
 *
 * The identity is retained when the stack is deleted: its DKIM keys are what the published
 * records point at, and a new identity would need new records.
 */
export class SendingDomain extends Construct {
  readonly identity: EmailIdentity;
  readonly mailFromDomain: string;

  constructor(scope: Construct, id: string, props: SendingDomainProps) {
    super(scope, id);
    this.mailFromDomain = `${props.mailFromSubdomain}.${props.domain}`;
    this.identity = new EmailIdentity(this, 'Identity', {
      identity: Identity.domain(props.domain),
      configurationSet: props.configurationSet,
      mailFromDomain: this.mailFromDomain,
    });
    this.identity.applyRemovalPolicy(RemovalPolicy.RETAIN);

    this.identity.dkimRecords.forEach((record, index) => {
      new CfnOutput(scope, `DnsDkim${index + 1}`, {
        value: `${record.name} CNAME ${record.value}`,
        description: `Easy DKIM record ${index + 1} of 3 to publish for ${props.domain}`,
      });
    });
    new CfnOutput(scope, 'DnsMailFromMx', {
      value: `${this.mailFromDomain} MX 10 feedback-smtp.${Aws.REGION}.amazonses.com`,
      description: `MAIL FROM: bounces for ${props.domain} come back through SES`,
    });
    new CfnOutput(scope, 'DnsMailFromSpf', {
      value: `${this.mailFromDomain} TXT "v=spf1 include:amazonses.com ~all"`,
      description: 'SPF of the MAIL FROM domain (aligned with the From domain for DMARC)',
    });
    new CfnOutput(scope, 'DnsDmarc', {
      value: `_dmarc.${props.domain} TXT "v=DMARC1; p=none;"`,
      description:
        'A DMARC policy, which Gmail and Yahoo require of bulk senders (tighten p= once reports are clean)',
    });
  }
}
