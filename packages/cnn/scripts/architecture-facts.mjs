#!/usr/bin/env node
// Regenerates packages/cnn/src/models/architecture-facts.ts by building every catalog variant at its
// native input (weights created as zeros). Run after `npm run build`:
//   node packages/cnn/scripts/architecture-facts.mjs
import { writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { listArchitectures } from '../dist/src/models/catalog-info.js';
import { measureArchitecture } from '../dist/src/models/measure-architecture.js';

await tf.setBackend('cpu');
const rows = listArchitectures().map(({ name }) => {
  const facts = measureArchitecture(name);
  return `  ${name}: { parameters: ${facts.parameters}, activationsPerExample: ${facts.activationsPerExample} },`;
});
const target = new URL('../src/models/architecture-facts.ts', import.meta.url);
const source = (await import('node:fs')).readFileSync(target, 'utf8');
const start = source.indexOf('// generated:start');
const end = source.indexOf('  // generated:end');
writeFileSync(target, `${source.slice(0, source.indexOf('\n', start) + 1)}${rows.join('\n')}\n${source.slice(end)}`);
console.log(`${rows.length} architectures measured`);
