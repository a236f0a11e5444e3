/**
 * Engine selection: here neither tfjs-node-gpu nor tfjs-node can be installed, so the default is the
 * native oneDNN engine where its addon built (libdnnl-dev present at install), else the wasm engine,
 * with what could not load recorded as skipped; forcing an engine that cannot load is a typed error.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { isCnnError } from '../src/errors.js';
import { currentEngine, initEngine } from '../src/engine/index.js';
import { registerWasmTrainingKernels } from '../src/engine/wasm/register-training-kernels.js';

/** tfjs-node(-gpu) cannot be installed on the development machines; where it is, the default differs. */
const tensorflowInstalled = ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'].some((name) => {
  try {
    createRequire(import.meta.url).resolve(name);
    return true;
  } catch {
    return false;
  }
});

/** The oneDNN engine's own answer: null when its addon built and loads, else why not. */
async function onednnUnavailable(): Promise<string | null> {
  const packageName = '@trainyard/engine-onednn';
  try {
    const engine = (await import(packageName)) as { onednnUnavailableReason(): string | null };
    return engine.onednnUnavailableReason();
  } catch (error) {
    return String(error);
  }
}

test('currentEngine() before initEngine() says so', () => {
  assert.throws(() => currentEngine(), /initEngine/);
});

test(
  'the default engine here is onednn where its addon built, else wasm with our kernels; what could not load is skipped, logged once',
  { skip: tensorflowInstalled && 'tfjs-node is installed here' },
  async () => {
    const previous = process.env.TRAINYARD_ENGINE;
    delete process.env.TRAINYARD_ENGINE;
    try {
      const logs: Array<{ msg: string; fields?: object }> = [];
      const log = (msg: string, fields?: object) => logs.push({ msg, fields });
      const onednnReason = await onednnUnavailable();
      const expected = onednnReason === null ? 'onednn' : 'wasm';
      const engine = await initEngine({ log });
      assert.equal(engine.name, expected, `onednn: ${onednnReason ?? 'available'}`);
      assert.equal(engine.backend, expected);
      assert.equal(tf.getBackend(), expected);
      assert.match(engine.version, /\d+\.\d+\.\d+/);
      assert.ok(engine.threads >= 1);
      const skippedEngines = ['tensorflow-gpu', 'webgpu', 'tensorflow', ...(onednnReason === null ? [] : ['onednn'])];
      assert.deepEqual(
        engine.skipped.map((s) => s.engine),
        skippedEngines,
      );
      for (const skip of [engine.skipped[0], engine.skipped[2]]) assert.match(skip.reason, /@tensorflow\/tfjs-node/);
      // Here WebGPU has at most Mesa's llvmpipe, a software adapter: never picked unless forced. Without
      // a GPU device node Dawn is not even loaded (a software adapter is all it could offer); with one,
      // CI installs that Mesa, so there the adapter must be found and refused for being software.
      const softwareRefused = /software adapter \(.*llvmpipe.*TRAINYARD_ENGINE=webgpu/;
      const gpuNode =
        (existsSync('/dev/dri') && readdirSync('/dev/dri').some((name) => /^renderD\d+$/.test(name))) ||
        readdirSync('/dev').some((name) => /^nvidia\d+$/.test(name)) ||
        existsSync('/dev/dxg');
      assert.match(
        engine.skipped[1].reason,
        !gpuNode
          ? /^no GPU device node .*TRAINYARD_ENGINE=webgpu/
          : process.env.CI === 'true'
            ? softwareRefused
            : new RegExp(`${softwareRefused.source}|no WebGPU adapter`),
      );
      assert.equal(engine.device.kind, 'cpu');
      assert.ok(engine.device.name.length > 0);
      assert.deepEqual(
        logs.map((l) => l.msg),
        [...skippedEngines.map(() => 'engine unavailable'), 'engine selected'],
      );

      // Idempotent: the same info, nothing loaded or logged again.
      assert.equal(await initEngine({ log }), engine);
      assert.equal(await initEngine({ engine: expected, log }), engine);
      assert.equal(currentEngine(), engine);
      assert.equal(logs.length, skippedEngines.length + 1);

      // The wasm fallback carries the training kernel the stock backend lacks.
      assert.equal((await initEngine({ engine: 'wasm', log })).name, 'wasm');
      assert.ok(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm'), 'the training kernel wasm lacks is registered');
    } finally {
      if (previous !== undefined) process.env.TRAINYARD_ENGINE = previous;
    }
  },
);

test('registering the training kernels twice keeps one registration', async () => {
  await initEngine({ engine: 'wasm' });
  const kernel = tf.getKernel(tf.Conv2DBackpropInput, 'wasm');
  registerWasmTrainingKernels();
  assert.equal(tf.getKernel(tf.Conv2DBackpropInput, 'wasm'), kernel);
});

test(
  'forcing an engine that cannot load fails with engine_unavailable and the reason',
  { skip: tensorflowInstalled && 'tfjs-node is installed here' },
  async () => {
    await initEngine({ engine: 'wasm' });
    for (const engine of ['tensorflow', 'tensorflow-gpu']) {
      await assert.rejects(initEngine({ engine }), (error: unknown) => {
        assert.ok(isCnnError(error, 'engine_unavailable'), String(error));
        assert.match(error.message, new RegExp(`'${engine}'.*@tensorflow/tfjs-node`));
        return true;
      });
    }
    await assert.rejects(initEngine({ engine: 'turbo' }), (error: unknown) => {
      assert.ok(isCnnError(error, 'engine_unavailable'));
      assert.match(error.message, /unknown engine 'turbo'.*wasm/);
      return true;
    });
    // The engine in use is unchanged.
    assert.equal(currentEngine().name, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
  },
);

test('TRAINYARD_ENGINE forces an engine; cpu only ever when forced', async () => {
  const previous = process.env.TRAINYARD_ENGINE;
  try {
    if (!tensorflowInstalled) {
      process.env.TRAINYARD_ENGINE = 'tensorflow';
      await assert.rejects(initEngine(), (error: unknown) => isCnnError(error, 'engine_unavailable'));
    }

    process.env.TRAINYARD_ENGINE = 'cpu';
    const cpu = await initEngine();
    assert.equal(cpu.name, 'cpu');
    assert.equal(tf.getBackend(), 'cpu');
    assert.deepEqual(cpu.skipped, []);
    // An explicit option wins over the variable.
    assert.equal((await initEngine({ engine: 'wasm' })).name, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
  } finally {
    if (previous === undefined) delete process.env.TRAINYARD_ENGINE;
    else process.env.TRAINYARD_ENGINE = previous;
  }
});

test('an allocation the wasm heap cannot hold is an out_of_memory error, not a corrupted heap', async () => {
  await initEngine({ engine: 'wasm' });
  const backend = tf.backend() as BackendWasm;
  const tensorsBefore = tf.memory().numTensors;
  // Over the 4 GiB address space: would otherwise wrap around to a small allocation.
  assert.throws(
    () => tf.zeros([1200, 1024, 1024]),
    (error: unknown) => isCnnError(error, 'out_of_memory'),
  );
  // Heap exhaustion (buffers made without writing to them, so the machine's memory is not touched).
  const held: tf.TensorInfo[] = [];
  assert.throws(
    () => {
      for (let i = 0; i < 4; i++) held.push(backend.makeOutput([360, 1024, 1024], 'float32'));
    },
    (error: unknown) => isCnnError(error, 'out_of_memory') && /4 GiB/.test(error.message),
  );
  assert.ok(held.length >= 1 && held.length < 4);
  for (const info of held) backend.disposeData(info.dataId);
  assert.equal(tf.memory().numTensors, tensorsBefore);
  // The engine still works.
  assert.deepEqual(Array.from(tf.add(tf.tensor([1, 2]), 1).dataSync()), [2, 3]);
});
