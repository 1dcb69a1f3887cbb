/** Lambda entry: SES events (EventBridge) and the scheduled hanging-delivery check → the feedback loop. */
import { FeedbackEnv, feedbackDeps } from '../roots/feedback.ts';
import { parseEnv } from '../shared/config.ts';
import { createFeedbackHandler } from '../triggers/feedback.ts';

const env = parseEnv(FeedbackEnv, process.env);
const deps = feedbackDeps(env);
export const handler = createFeedbackHandler(deps);
