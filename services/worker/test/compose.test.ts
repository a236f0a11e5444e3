/**
 * docker-compose.yml, checked with Debian's `docker-compose config` (no Docker engine runs here):
 * the file is valid, it has the services issue 4 asks for, and the environment it gives the API and
 * the workers passes their own configuration checks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { readApiConfig } from '@trainyard/api';
import { readWorkerConfig } from '../src/index.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const run = promisify(execFile);

interface ComposeService {
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string>;
  profiles?: string[];
  depends_on?: Record<string, { condition: string }>;
  stop_grace_period?: string;
  deploy?: { resources: { reservations: { devices: Array<{ driver: string; capabilities: string[] }> } } };
}

async function composeConfig(): Promise<{ services: Record<string, ComposeService>; volumes: Record<string, unknown> }> {
  try {
    const { stdout } = await run('docker-compose', ['--profile', 'gpu', 'config'], {
      cwd: ROOT,
      env: { ...process.env, COMPOSE_PROJECT_NAME: 'trainyard' },
    });
    return parse(stdout);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('docker-compose is not installed: apt-get install -y docker-compose (.ci/run does)');
    }
    throw new Error(`docker-compose config refused the file: ${(error as { stderr?: string }).stderr ?? error}`);
  }
}

test('docker-compose.yml is valid and wires Postgres, Redis, MinIO with its bucket, the API, a CPU worker and a GPU profile', async () => {
  const { services, volumes } = await composeConfig();
  for (const name of ['postgres', 'redis', 'minio', 'minio-bucket', 'api', 'worker', 'worker-gpu']) {
    assert.ok(services[name], `service ${name}`);
  }
  for (const name of ['api', 'worker', 'worker-gpu']) {
    const dockerfile = services[name]!.build!.dockerfile;
    assert.ok(existsSync(join(ROOT, dockerfile)), `${name} builds from ${dockerfile}`);
    assert.equal(services[name]!.depends_on?.['minio-bucket']?.condition, 'service_completed_successfully', `${name} waits for the bucket`);
    assert.equal(services[name]!.depends_on?.postgres?.condition, 'service_healthy');
  }
  assert.equal(services.api!.build!.dockerfile, 'docker/api.Dockerfile');
  assert.equal(services.worker!.build!.dockerfile, 'docker/worker.Dockerfile');
  assert.equal(services['worker-gpu']!.build!.dockerfile, 'docker/worker-gpu.Dockerfile');
  assert.deepEqual(services['worker-gpu']!.profiles, ['gpu']);
  assert.equal(services.worker!.profiles, undefined, 'the CPU worker runs by default');
  const devices = services['worker-gpu']!.deploy!.resources.reservations.devices;
  assert.equal(devices[0]!.driver, 'nvidia');
  assert.deepEqual(devices[0]!.capabilities, ['gpu']);
  assert.deepEqual(Object.keys(volumes).sort(), ['minio', 'postgres', 'redis']);

  // The services get a configuration their own start-up checks accept.
  const apiConfig = readApiConfig(services.api!.environment!);
  assert.match(apiConfig.storageUrl, /^s3:\/\//);
  assert.equal(apiConfig.s3Endpoint, 'http://minio:9000');
  for (const name of ['worker', 'worker-gpu']) {
    const config = readWorkerConfig(services[name]!.environment!);
    assert.equal(config.redisUrl, 'redis://redis:6379');
    // SIGTERM hands jobs back within WORKER_SHUTDOWN_GRACE_MS: compose must wait longer before SIGKILL.
    const graceSeconds = Number(/^(\d+)s$/.exec(services[name]!.stop_grace_period ?? '')?.[1] ?? 10);
    assert.ok(graceSeconds * 1000 > config.shutdownGraceMs, `${name}: stop_grace_period ${graceSeconds}s`);
  }
});

test('the Dockerfiles start the runtime the README documents', async () => {
  const { readFile } = await import('node:fs/promises');
  const api = await readFile(join(ROOT, 'docker/api.Dockerfile'), 'utf8');
  const worker = await readFile(join(ROOT, 'docker/worker.Dockerfile'), 'utf8');
  const gpu = await readFile(join(ROOT, 'docker/worker-gpu.Dockerfile'), 'utf8');
  assert.match(api, /CMD \["node", "services\/cli\/dist\/src\/main\.js", "start", "api"\]/);
  for (const file of [worker, gpu]) assert.match(file, /CMD \["node", "services\/cli\/dist\/src\/main\.js", "start", "worker"\]/);
  assert.match(gpu, /^FROM nvidia\/cuda:11\.2\.\d+-cudnn8-runtime/m);
  assert.match(gpu, /^ENV .*\bTF_FORCE_GPU_ALLOW_GROWTH=true\b/m);
  assert.match(gpu, /^ENV .*\bTRAINYARD_ENGINE=tensorflow-gpu\b/m);
  assert.ok(existsSync(join(ROOT, 'services/cli/dist/src/main.js')), 'the CMD path exists after a build');
});

interface Lockfile {
  packages: Record<string, { version?: string; integrity?: string; dependencies?: Record<string, string> }>;
}

test('tfjs-node-gpu comes from its own manifest and lockfile, used only by the GPU image; the root lockfile has no libtensorflow package', async () => {
  const { readFile } = await import('node:fs/promises');
  const readJson = async <T>(path: string) => JSON.parse(await readFile(join(ROOT, path), 'utf8')) as T;
  const rootLock = await readJson<Lockfile>('package-lock.json');
  const tfjsNode = Object.keys(rootLock.packages).filter((path) => /@tensorflow\/tfjs-node/.test(path));
  assert.deepEqual(tfjsNode, [], 'the root npm ci must never download libtensorflow');

  const manifest = await readJson<{ dependencies: Record<string, string> }>('docker/worker-gpu/package.json');
  assert.deepEqual(manifest.dependencies, { '@tensorflow/tfjs-node-gpu': '4.22.0' });
  const gpuLock = await readJson<Lockfile>('docker/worker-gpu/package-lock.json');
  assert.deepEqual(gpuLock.packages['']!.dependencies, manifest.dependencies, 'the lockfile is the one of this manifest');
  const engine = gpuLock.packages['node_modules/@tensorflow/tfjs-node-gpu']!;
  assert.equal(engine.version, '4.22.0');
  assert.match(engine.integrity ?? '', /^sha512-/);
  // Installed shallow (.npmrc), its TensorFlow.js copies are replaced by the app's at build time
  // (graft-engine.mjs): they must be the very versions the root lockfile installs.
  const nested = 'node_modules/@tensorflow/tfjs-node-gpu/node_modules/@tensorflow/';
  const shared = Object.entries(gpuLock.packages).filter(([path]) => path.startsWith(nested) && !path.slice(nested.length).includes('/'));
  assert.ok(shared.length >= 5, 'tfjs, tfjs-core, tfjs-layers, ... are nested under tfjs-node-gpu');
  for (const [path, entry] of shared) {
    const name = path.slice(nested.length);
    assert.equal(rootLock.packages[`node_modules/@tensorflow/${name}`]?.version, entry.version, `@tensorflow/${name}`);
  }
  assert.match(await readFile(join(ROOT, 'docker/worker-gpu/.npmrc'), 'utf8'), /^install-strategy=shallow$/m);

  const dockerfiles = ['api', 'worker', 'worker-gpu'];
  const usesManifest = [];
  for (const name of dockerfiles) {
    if ((await readFile(join(ROOT, `docker/${name}.Dockerfile`), 'utf8')).includes('docker/worker-gpu')) usesManifest.push(name);
  }
  assert.deepEqual(usesManifest, ['worker-gpu']);
  const gpu = await readFile(join(ROOT, 'docker/worker-gpu.Dockerfile'), 'utf8');
  assert.match(gpu, /cd \/tmp\/gpu-engine && npm ci\b/);
  assert.match(gpu, /node graft-engine\.mjs \/tmp\/gpu-engine \/app/);
  assert.doesNotMatch(gpu, /npm install[^\n]*tfjs-node/, 'no unlocked install');
});

test("graft-engine.mjs moves tfjs-node-gpu into the app only when its TensorFlow.js copies are the app's versions", async () => {
  const { mkdtemp, mkdir, rm, writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const scratch = await mkdtemp(join(tmpdir(), 'trainyard-graft-'));
  const writePackage = async (dir: string, name: string, version: string) => {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name, version, main: 'index.js' }));
    await writeFile(join(dir, 'index.js'), 'module.exports = {};\n');
  };
  // The layouts npm ci (shallow) and the root install leave, with package.json files only.
  const layout = async (appCoreVersion: string) => {
    const root = await mkdtemp(join(scratch, 'case-'));
    const engine = join(root, 'engine', 'node_modules', '@tensorflow', 'tfjs-node-gpu');
    await writePackage(engine, '@tensorflow/tfjs-node-gpu', '4.22.0');
    await writePackage(join(engine, 'node_modules', '@tensorflow', 'tfjs-core'), '@tensorflow/tfjs-core', '4.22.0');
    await writePackage(join(engine, 'node_modules', 'adm-zip'), 'adm-zip', '0.5.16');
    await writePackage(join(root, 'app', 'node_modules', '@tensorflow', 'tfjs-core'), '@tensorflow/tfjs-core', appCoreVersion);
    await writePackage(join(root, 'app', 'packages', 'cnn'), '@trainyard/cnn', '0.1.0');
    return { engineDir: join(root, 'engine'), appDir: join(root, 'app') };
  };
  const graft = (engineDir: string, appDir: string) =>
    run(process.execPath, [join(ROOT, 'docker/worker-gpu/graft-engine.mjs'), engineDir, appDir]).then(
      ({ stdout }) => ({ code: 0, output: stdout }),
      (error: { code: number; stderr: string }) => ({ code: error.code, output: error.stderr }),
    );
  try {
    const other = await layout('4.21.0');
    const refused = await graft(other.engineDir, other.appDir);
    assert.equal(refused.code, 1);
    assert.match(refused.output, /@tensorflow\/tfjs-core: @tensorflow\/tfjs-node-gpu needs 4\.22\.0, the app has 4\.21\.0/);
    assert.ok(!existsSync(join(other.appDir, 'node_modules/@tensorflow/tfjs-node-gpu')), 'nothing grafted');

    const same = await layout('4.22.0');
    const grafted = await graft(same.engineDir, same.appDir);
    assert.equal(grafted.code, 0, grafted.output);
    const target = join(same.appDir, 'node_modules/@tensorflow/tfjs-node-gpu');
    assert.ok(existsSync(join(target, 'package.json')));
    assert.ok(existsSync(join(target, 'node_modules/adm-zip/package.json')), 'its own dependencies come along');
    assert.ok(!existsSync(join(target, 'node_modules/@tensorflow/tfjs-core')), "its tfjs-core copy is gone: it resolves the app's");
    assert.ok(!existsSync(join(same.engineDir, 'node_modules/@tensorflow/tfjs-node-gpu')));
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
});
