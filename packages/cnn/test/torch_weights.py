"""Makes and checks torchvision state_dicts for the weights tests (Debian's python3-torch, torchvision 0.14).

  python3 torch_weights.py make DIR     reads DIR/cases.json; for each case writes a seeded state_dict in
                                        its format, the input batch (NHWC float32) and torchvision's outputs
  python3 torch_weights.py verify DIR   loads each case's DIR/<name>.export.safetensors strictly into a fresh
                                        torchvision model and prints, per case, its outputs' largest
                                        difference from ours (DIR/<name>.ours) relative to its largest output
  python3 torch_weights.py tiny DIR     writes small hostile and valid files for the reader tests
  python3 torch_weights.py keys ARCH... prints each architecture's state_dict as [[name, shape], ...]
                                        (with its auxiliary heads; 10 classes), without initialising it

Safetensors is written by hand: bookworm has no python3-safetensors, and the format is a length, a JSON
header and the raw data.
"""
import collections
import json
import os
import struct
import sys
import warnings

import numpy as np
import torch
import torchvision.models as models

warnings.filterwarnings('ignore')
torch.set_num_threads(2)

ST_DTYPES = {torch.float32: 'F32', torch.float64: 'F64', torch.float16: 'F16', torch.int64: 'I64'}


def write_safetensors(path, state, metadata=None):
    header, chunks, offset = {}, [], 0
    if metadata:
        header['__metadata__'] = metadata
    for name, tensor in state.items():
        data = tensor.detach().contiguous().numpy().tobytes()
        header[name] = {'dtype': ST_DTYPES[tensor.dtype], 'shape': list(tensor.shape), 'data_offsets': [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    encoded = json.dumps(header).encode()
    encoded += b' ' * (-len(encoded) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(encoded)))
        f.write(encoded)
        for chunk in chunks:
            f.write(chunk)


def read_safetensors(path):
    with open(path, 'rb') as f:
        raw = f.read()
    (length,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + length])
    data = raw[8 + length:]
    metadata = header.pop('__metadata__', {})
    kinds = {'F32': np.float32, 'I64': np.int64}
    state = collections.OrderedDict()
    for name, entry in header.items():
        begin, end = entry['data_offsets']
        array = np.frombuffer(data[begin:end], dtype=kinds[entry['dtype']]).reshape(entry['shape'])
        state[name] = torch.from_numpy(array.copy())
    return state, metadata


def build(case):
    kwargs = {'num_classes': case['classes']}
    if case['arch'] in ('googlenet', 'inception_v3'):
        kwargs.update(aux_logits=case['auxLogits'], init_weights=False)
    return getattr(models, case['arch'])(**kwargs)


def heads(model, case, x):
    """Every head's logits in inference mode: main first, then the auxiliary ones in our order."""
    seen = {}
    hooks = []
    if case['arch'] == 'googlenet' and case['auxLogits']:
        hooks.append(model.inception4a.register_forward_hook(lambda m, i, o: seen.__setitem__('aux1', o)))
        hooks.append(model.inception4d.register_forward_hook(lambda m, i, o: seen.__setitem__('aux2', o)))
    if case['arch'] == 'inception_v3' and case['auxLogits']:
        hooks.append(model.Mixed_6e.register_forward_hook(lambda m, i, o: seen.__setitem__('aux', o)))
    with torch.no_grad():
        outputs = [model(x)]
        if case['arch'] == 'googlenet' and case['auxLogits']:
            outputs += [model.aux2(seen['aux2']), model.aux1(seen['aux1'])]
        if case['arch'] == 'inception_v3' and case['auxLogits']:
            outputs.append(model.AuxLogits(seen['aux']))
    for hook in hooks:
        hook.remove()
    return [o.numpy() for o in outputs]


def seeded_model(case):
    """Random weights, random batch-norm affine parameters, running statistics of a calibration batch."""
    torch.manual_seed(case['seed'])
    model = build(case)
    with torch.no_grad():
        if not any(isinstance(module, torch.nn.BatchNorm2d) for module in model.modules()):
            # Without batch norm (AlexNet), PyTorch's default init shrinks the signal layer by layer
            # until the biases alone make the outputs: He init keeps it, so the outputs depend on the image.
            for module in model.modules():
                if isinstance(module, (torch.nn.Conv2d, torch.nn.Linear)):
                    torch.nn.init.kaiming_normal_(module.weight, nonlinearity='relu')
                    module.bias.uniform_(-0.05, 0.05)
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)
                module.momentum = 1.0
        # One training-mode pass with momentum 1 sets every running statistic to the calibration batch's,
        # so every layer's output keeps unit scale and the logits depend on the image.
        model.train()
        size = case['size']
        model(torch.rand(4, 3, size, size))
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.momentum = 0.1
                module.running_var.clamp_(min=0.01)
                module.num_batches_tracked.fill_(int(torch.randint(1, 1000, ())))
    return model.eval()


def old_densenet_names(state):
    """torchvision's published DenseNet files name norm1 'norm.1' and so on, and predate num_batches_tracked."""
    renamed = collections.OrderedDict()
    for key, value in state.items():
        if key.endswith('num_batches_tracked'):
            continue
        for part in ('norm', 'relu', 'conv'):
            for index in ('1', '2'):
                key = key.replace(f'.{part}{index}.', f'.{part}.{index}.')
        renamed[key] = value
    return renamed


def make(directory):
    cases = json.load(open(os.path.join(directory, 'cases.json')))
    for case in cases:
        model = seeded_model(case)
        state = model.state_dict()
        if case.get('oldNames'):
            state = old_densenet_names(state)
        path = os.path.join(directory, case['file'])
        if case['format'] == 'torch-zip':
            torch.save(state, path)
        elif case['format'] == 'torch-legacy':
            torch.save(state, path, _use_new_zipfile_serialization=False)
        else:
            write_safetensors(path, state, {'made_by': 'torch_weights.py'})
        torch.manual_seed(case['seed'] + 1)
        x = torch.rand(case['batch'], 3, case['size'], case['size'])
        # Images of different brightness: networks without batch norm (AlexNet, VGG) barely tell two
        # uniform-noise images apart, and the test wants outputs that depend on the image.
        x[1::2] = x[1::2] ** 3
        x.permute(0, 2, 3, 1).contiguous().numpy().astype(np.float32).tofile(os.path.join(directory, case['name'] + '.input'))
        # The reference runs in float64: what torchvision computes, without float32's rounding.
        outputs = heads(model.double(), case, x.double())
        np.concatenate([o.reshape(-1) for o in outputs]).astype(np.float32).tofile(os.path.join(directory, case['name'] + '.torch'))
        del model, state


def verify(directory):
    cases = json.load(open(os.path.join(directory, 'cases.json')))
    result = {}
    for case in cases:
        state, metadata = read_safetensors(os.path.join(directory, case['name'] + '.export.safetensors'))
        model = build(case)
        model.load_state_dict(state, strict=True)
        model.double().eval()
        x = torch.from_numpy(np.fromfile(os.path.join(directory, case['name'] + '.input'), dtype=np.float32)
                             .reshape(case['batch'], case['size'], case['size'], 3)).permute(0, 3, 1, 2).contiguous().double()
        outputs = heads(model, case, x)
        ours = np.fromfile(os.path.join(directory, case['name'] + '.ours'), dtype=np.float32)
        differences, at = [], 0
        for output in outputs:
            mine = ours[at:at + output.size].reshape(output.shape)
            at += output.size
            differences.append(float(np.abs(mine - output).max() / np.abs(output).max()))
        result[case['name']] = {'differences': differences, 'metadata': metadata, 'keys': len(state)}
        del model, state
    print(json.dumps(result))


def tiny(directory):
    """Small files for the reader tests: valid ones in every format, and hostile ones."""
    torch.manual_seed(0)
    state = collections.OrderedDict(
        [('conv.weight', torch.randn(4, 3, 3, 3)), ('bn.running_mean', torch.randn(4)), ('bn.num_batches_tracked', torch.tensor(7)),
         ('half', torch.randn(5).half()), ('double', torch.randn(2, 2).double()), ('strided', torch.randn(3, 4).t())])
    torch.save(state, os.path.join(directory, 'tiny.zip.pt'))
    torch.save(state, os.path.join(directory, 'tiny.legacy.pt'), _use_new_zipfile_serialization=False)
    write_safetensors(os.path.join(directory, 'tiny.safetensors'), collections.OrderedDict(
        (k, v.contiguous()) for k, v in state.items() if k != 'strided'), {'note': 'tiny'})
    expected = {k: {'shape': list(v.shape), 'values': v.double().reshape(-1).tolist()} for k, v in state.items()}
    json.dump(expected, open(os.path.join(directory, 'tiny.json'), 'w'))

    # A pickle that runs os.system on load, inside a well-formed torch zip, and as a legacy file.
    class Exploit:
        def __reduce__(self):
            return (os.system, ('touch ' + os.path.join(directory, 'pwned'),))
    torch.save({'weight': torch.zeros(1), 'x': Exploit()}, os.path.join(directory, 'exploit.zip.pt'))
    torch.save({'weight': torch.zeros(1), 'x': Exploit()}, os.path.join(directory, 'exploit.legacy.pt'), _use_new_zipfile_serialization=False)


def keys(*architectures):
    # Only names and shapes are wanted: skip every initialisation (seconds for the VGGs otherwise).
    for module in (torch.nn.Conv2d, torch.nn.Linear):
        module.reset_parameters = lambda self: None
    for name in ('kaiming_normal_', 'normal_', 'constant_', 'trunc_normal_', 'uniform_', 'xavier_uniform_'):
        setattr(torch.nn.init, name, lambda tensor, *args, **kwargs: tensor)
    result = {}
    for arch in architectures:
        case = {'arch': arch, 'classes': 10, 'auxLogits': True}
        result[arch] = [[name, list(tensor.shape)] for name, tensor in build(case).state_dict().items()]
    print(json.dumps(result))


if __name__ == '__main__':
    {'make': make, 'verify': verify, 'tiny': tiny, 'keys': keys}[sys.argv[1]](*sys.argv[2:])
