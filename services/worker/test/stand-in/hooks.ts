/** Module hooks (register.ts): imports of @tensorflow/tfjs-node-gpu get the stand-in. */
const STAND_IN_URL = new URL('./tfjs-node-gpu.js', import.meta.url).href;

type NextResolve = (specifier: string, context: object) => Promise<{ url: string }>;

export async function resolve(
  specifier: string,
  context: object,
  nextResolve: NextResolve,
): Promise<{ url: string; shortCircuit?: boolean }> {
  if (specifier === '@tensorflow/tfjs-node-gpu') return { url: STAND_IN_URL, shortCircuit: true };
  return nextResolve(specifier, context);
}
