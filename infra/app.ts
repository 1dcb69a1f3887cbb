/**
 * The CDK app: stage settings from context → the stateful and the stateless stack, checked by
 * cdk-nag's AwsSolutions rules. `npx cdk synth` runs this offline, with no AWS credentials.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { compileTemplates } from '../functions/adapters/mjml-compiler.ts';
import { readStageConfig } from './config.ts';
import { ingestBucketName, StatefulStack } from './stateful-stack.ts';
import { StatelessStack } from './stateless-stack.ts';

export interface PaperboyApp {
  app: App;
  stateful: StatefulStack;
  stateless: StatelessStack;
}

/** Builds the app; the MJML emails are compiled here once, so Lambda ships HTML, not MJML. */
export async function buildApp(app: App = new App()): Promise<PaperboyApp> {
  const config = readStageConfig((key) => app.node.tryGetContext(key), Object.keys(app.node.getAllContext()));
  const buildDir = new URL('../.build/', import.meta.url);
  await mkdir(buildDir, { recursive: true });
  const templatesFile = new URL('templates.json', buildDir);
  // Write then rename, so a bundler copying the file never sees half of it.
  const partial = new URL(`templates.json.${process.pid}`, buildDir);
  await writeFile(partial, JSON.stringify(await compileTemplates()));
  await rename(partial, templatesFile);

  const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
  const bucketName = ingestBucketName(config.stage);
  const stateful = new StatefulStack(app, `Paperboy-${config.stage}-Data`, {
    env,
    description: 'Paperboy data',
    ingestBucketName: bucketName,
    sending: { domain: config.sendingDomain, mailFromSubdomain: config.mailFromSubdomain },
    tableName: config.tableName,
  });
  const stateless = new StatelessStack(app, `Paperboy-${config.stage}-App`, {
    env,
    description: 'Paperboy functions, API and schedule',
    config,
    table: stateful.table,
    ingestBucketName: bucketName,
    tokenSecret: stateful.tokenSecret,
    configurationSet: stateful.configurationSet,
    templatesFile: templatesFile.pathname,
  });
  stateless.addStackDependency(stateful, 'the functions use the data stack’s bucket by name');
  Tags.of(app).add('app', 'paperboy');
  Tags.of(app).add('stage', config.stage);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stateful, stateless };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const { app } = await buildApp();
    app.synth();
  } catch (error) {
    console.error(`paperboy infra: ${(error as Error).message}`);
    process.exit(1);
  }
}
