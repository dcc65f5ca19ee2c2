"""The torch.optim fixture of TrainingTests: a small CNN trained 20 steps in float64 by
torch.optim.SGD and torch.optim.Adam on bpcheck's own shuffle, to check bpcheck's optimizers.

Run (torch 2.13.0+cpu, numpy): python make_fixture.py   -- writes model.json, weights.safetensors,
data.npz and expected.json beside this script. The Swift test reads the committed files.

torch gets exactly what bpcheck gets: the same starting weights (drawn here by torch's default
init in float32, stored in weights.safetensors as f32 and cast to float64 exactly), the same data
(float64), and the same batches (bpcheck's SplitMix64 shuffle, reimplemented below).
"""
import json
import os
import struct

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
M = (1 << 64) - 1
SEED, BATCH, STEPS, SAMPLES = 7, 4, 20, 24


def mix(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return z ^ (z >> 31)


def uniform(seed, stream, k):
    return (mix((seed + stream * 0xD1B54A32D192ED03 + (k + 1) * 0x9E3779B97F4A7C15) & M) >> 11) * 2.0 ** -53


def permutation(seed, stream, n):
    p = list(range(n))
    k = 0
    for i in range(n - 1, 0, -1):
        j = min(int(uniform(seed, stream, k) * (i + 1)), i)
        p[i], p[j] = p[j], p[i]
        k += 1
    return p


def batch(step):
    per_epoch = SAMPLES // BATCH
    e, b = (step - 1) // per_epoch, (step - 1) % per_epoch
    return permutation(SEED, e, SAMPLES)[b * BATCH:(b + 1) * BATCH]


def network():
    return torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                               torch.nn.Flatten(), torch.nn.Linear(8, 3))


KEYS = {"0.weight": "conv.weight", "0.bias": "conv.bias", "4.weight": "fc.weight", "4.bias": "fc.bias"}

CONFIGS = [
    ("sgd-momentum", "sgd", dict(lr=0.1, momentum=0.9)),
    ("sgd-nesterov-decay", "sgd", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("sgd-dampening", "sgd", dict(lr=0.1, momentum=0.5, dampening=0.1, weight_decay=0.001)),
    ("adam", "adam", dict(lr=0.01)),
    ("adam-decay", "adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.01)),
    ("adam-small-beta1", "adam", dict(lr=0.02, betas=(0.3, 0.9))),
]


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for k in sorted(tensors):
        a = np.ascontiguousarray(tensors[k], dtype="<f4")
        b = a.tobytes()
        header[k] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def main():
    torch.manual_seed(13)
    start = network()
    weights = {KEYS[k]: v.detach().numpy().copy() for k, v in start.state_dict().items()}
    g = torch.Generator().manual_seed(14)
    x = torch.randn(SAMPLES, 1, 4, 4, generator=g, dtype=torch.float64).numpy()
    y = torch.randint(0, 3, (SAMPLES,), generator=g).numpy().astype(np.int64)

    write_safetensors(os.path.join(HERE, "weights.safetensors"), weights)
    np.savez(os.path.join(HERE, "data.npz"), x=x, y=y)
    model = {
        "format": "bpcheck-model", "version": 1, "name": "torch-optim-cnn", "input_shape": [1, 4, 4],
        "weights": "weights.safetensors",
        "graph": [
            {"name": "conv", "op": "conv2d", "weight": "conv.weight", "bias": "conv.bias", "padding": 1},
            {"name": "relu", "op": "relu"},
            {"name": "pool", "op": "maxpool2d", "kernel": 2},
            {"name": "flatten", "op": "flatten"},
            {"name": "fc", "op": "linear", "weight": "fc.weight", "bias": "fc.bias"},
        ],
        "loss": {"op": "cross_entropy"},
    }
    with open(os.path.join(HERE, "model.json"), "w") as f:
        json.dump(model, f, indent=2)
        f.write("\n")

    xs, ys = torch.from_numpy(x), torch.from_numpy(y)
    out = {"torch": torch.__version__, "seed": SEED, "batch_size": BATCH, "steps": STEPS,
           "batches": [batch(t) for t in range(1, STEPS + 1)], "configs": []}
    for name, kind, options in CONFIGS:
        net = network().double()
        net.load_state_dict({k: torch.from_numpy(weights[KEYS[k]]).double() for k in KEYS})
        opt = (torch.optim.SGD if kind == "sgd" else torch.optim.Adam)(net.parameters(), foreach=False, **options)
        losses, after = [], []
        for t in range(1, STEPS + 1):
            idx = batch(t)
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(net(xs[idx]), ys[idx])
            loss.backward()
            opt.step()
            losses.append(loss.item())
            after.append({KEYS[k]: v.detach().reshape(-1).tolist() for k, v in net.state_dict().items()})
        o = dict(options)
        if "betas" in o:
            o["beta1"], o["beta2"] = o.pop("betas")
        o = {k: float(v) for k, v in o.items()}  # nesterov as 1.0: every option a number
        out["configs"].append({"name": name, "optimizer": kind, "options": o, "losses": losses, "weights": after})
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(out, f)
        f.write("\n")


if __name__ == "__main__":
    main()
