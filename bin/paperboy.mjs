#!/usr/bin/env node
// The operator CLI. Runs the TypeScript sources directly through tsx's loader.
import { register } from 'tsx/esm/api';

register();
await import('../functions/cli/paperboy.ts');
