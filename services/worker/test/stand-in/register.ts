/**
 * `node --import .../register.js`: every import of @tensorflow/tfjs-node-gpu in this process gets the
 * stand-in (tfjs-node-gpu.ts). Given in NODE_OPTIONS, it reaches the worker's engine probes and
 * training children too, which inherit the environment.
 */
import { register } from 'node:module';

register(new URL('./hooks.js', import.meta.url));
