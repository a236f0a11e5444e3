/**
 * Runs s3rver (a test double of the S3 protocol) in its own process for tests and local runs.
 * Prints one JSON line `{"port": N}` when listening, and exits when its parent goes away (stdin closes),
 * so a killed test run leaves no server behind.
 * Usage: node --openssl-legacy-provider s3rver-main.js <directory> <port> <bucket>...
 */
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';

const require = createRequire(import.meta.url);
const S3rver = require('s3rver');

const [directory, port, ...buckets] = process.argv.slice(2);
if (!directory || port === undefined) {
  process.stderr.write('usage: s3rver-main <directory> <port> <bucket>...\n');
  process.exit(2);
}
mkdirSync(directory, { recursive: true });
const server = new S3rver({
  directory,
  address: '127.0.0.1',
  port: Number(port),
  silent: true,
  configureBuckets: buckets.map((name) => ({ name, configs: [] })),
});
const { port: listening } = await server.run();
process.stdout.write(`${JSON.stringify({ port: listening })}\n`);
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
