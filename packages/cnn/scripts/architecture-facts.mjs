#!/usr/bin/env node
// Regenerates packages/cnn/src/models/architecture-facts.ts by building every catalog variant, for
// every size-changing option, at a few small inputs (weights created as zeros). Run after `npm run build`:
//   node packages/cnn/scripts/architecture-facts.mjs && npx prettier --write packages/cnn/src/models/architecture-facts.ts
import { readFileSync, writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { listArchitectures } from '../dist/src/models/catalog-info.js';
import { measureArchitecture } from '../dist/src/models/measure-architecture.js';

await tf.setBackend('cpu');
const rows = listArchitectures().map(({ name }) => `  ${name}: ${JSON.stringify(measureArchitecture(name))},`);
const target = new URL('../src/models/architecture-facts.ts', import.meta.url);
const source = readFileSync(target, 'utf8');
const start = source.indexOf('// generated:start');
const end = source.indexOf('  // generated:end');
writeFileSync(target, `${source.slice(0, source.indexOf('\n', start) + 1)}${rows.join('\n')}\n${source.slice(end)}`);
console.log(`${rows.length} architectures measured`);
