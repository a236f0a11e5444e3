#!/usr/bin/env bash
# The GPU check: on a machine with a GPU driver (Vulkan; CUDA and PyTorch optional) and nothing else
# of ours, unpacks the bundle that `npm run build:gpu-check` builds into a fresh folder and prints ONE
# JSON line with training and evaluation images/s of LeNet-5 (28x28x1, batch 64), ResNet-20 (32x32x3,
# batch 64) and ResNet-18 (64x64x3, batch 32):
#   webgpu  Trainyard's webgpu engine on the adapter Dawn picks (its vendor and description in device)
#   cpu     the bundle's CPU engine (wasm: the native oneDNN engine needs libdnnl, not in the bundle)
#   torch   PyTorch on CUDA (bench/torch_reference.py --device cuda), when
#           `python3 -c 'import torch; assert torch.cuda.is_available()'` succeeds; else why not
# Each part has a time budget (a model not started within it is reported as skipped), so the check
# ends within 5 minutes. Logs go to stderr.
#
#   bench/gpu/check.sh [BUNDLE]        # default: trainyard-gpu-check.tar.gz beside this script
# GPU_CHECK_MODELS=lenet5/28x28x1/64   # fewer models (name/HxWxC/batch, comma-separated)
# GPU_CHECK_STEPS=10 GPU_CHECK_WARMUP=3 # timed and warm-up steps per phase (the CPU engine takes a third)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bundle="$(cd "$(dirname "${1:-$here/trainyard-gpu-check.tar.gz}")" && pwd)/$(basename "${1:-trainyard-gpu-check.tar.gz}")"
work="$(mktemp -d "${TMPDIR:-/tmp}/trainyard-gpu-check.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cd "$work"
tar -xzf "$bundle"
mkdir -p -m 700 runtime
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$work/runtime}"

models="${GPU_CHECK_MODELS:-lenet5/28x28x1/64,resnet20/32x32x3/64,resnet18/64x64x3/32}"
steps="${GPU_CHECK_STEPS:-10}"
warmup="${GPU_CHECK_WARMUP:-3}"

# engine, steps, warm-up, budget (s) -> its JSON object in $engine.json (or the failure, as JSON)
measure() {
  ./node gpu-check.mjs --engine "$1" --models "$models" --steps "$2" --warmup "$3" --budget "$4" >"$1.json" ||
    echo "{\"engine\":\"$1\",\"error\":\"the check exited with status $? (its log is above)\"}" >"$1.json"
}
measure webgpu "$steps" "$warmup" 120
measure wasm "$(( (steps + 2) / 3 ))" 1 90

if python3 -c 'import torch; assert torch.cuda.is_available()' >&2; then
  : >torch.jsonl
  for entry in ${models//,/ }; do
    IFS=/ read -r model size batch <<<"$entry"
    if ! timeout 60 python3 torch_reference.py throughput --device cuda --model "$model" --input "${size//x/,}" --batch "$batch" \
        --warmup "$warmup" --steps "$steps" >torch.out; then
      echo "{\"model\":\"$model\",\"error\":\"PyTorch failed or took over 60 s (its log is above)\"}" >torch.out
    fi
    tail -n 1 torch.out >>torch.jsonl
  done
else
  echo "PyTorch with CUDA is not available here: the torch part is skipped" >&2
  echo '{"skipped":"python3 -c '"'"'import torch; assert torch.cuda.is_available()'"'"' failed"}' >torch.jsonl
fi

./node --input-type=module -e '
  import { readFileSync } from "node:fs";
  const read = (file) => readFileSync(file, "utf8").trim();
  const torch = read("torch.jsonl").split("\n").map((line) => JSON.parse(line));
  console.log(JSON.stringify({
    check: "trainyard-gpu-check",
    build: JSON.parse(read("build-info.json")),
    at: new Date().toISOString(),
    webgpu: JSON.parse(read("webgpu.json")),
    cpu: JSON.parse(read("wasm.json")),
    torch: torch.length === 1 && torch[0].skipped ? torch[0] : torch,
    seconds: Math.round(process.uptime() + Number(process.argv[1])),
  }));
' "$SECONDS"
