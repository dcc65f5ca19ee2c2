"""Builds bpcheck's bundled examples from scikit-learn's 8x8 handwritten digits (shipped inside
the scikit-learn package: no download), trained with a few lines of NumPy.

    make examples      # or: python examples/make_examples.py  (numpy, scikit-learn, safetensors)

Writes, for each example, examples/<name>/model.json, weights.safetensors and data.npz
(the default batch: x, y — 128 samples) and dataset.npz (x, y — 1024 samples, for dataset
mode). Everything is seeded: the same versions give the same bytes.
"""
import json
import os

import numpy as np
from safetensors.numpy import save_file
from sklearn.datasets import load_digits

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20261121


def uniform_init(rng, fan_in, shape):
    """PyTorch's default init for linear and conv weights: U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    bound = 1.0 / np.sqrt(fan_in)
    return rng.uniform(-bound, bound, size=shape).astype(np.float32)


# ---- NumPy layers (forward returns a cache for backward) --------------------------------

def im2col(x, kh, kw, pad):
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = h + 2 * pad - kh + 1, w + 2 * pad - kw + 1
    cols = np.empty((n, c, kh, kw, oh, ow), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = xp[:, :, i:i + oh, j:j + ow]
    return cols.reshape(n, c * kh * kw, oh * ow), (oh, ow)


def conv_forward(x, w, b, pad):
    o, c, kh, kw = w.shape
    cols, (oh, ow) = im2col(x, kh, kw, pad)
    y = np.einsum("ok,nkp->nop", w.reshape(o, -1), cols) + b[None, :, None]
    return y.reshape(x.shape[0], o, oh, ow), (x, cols, w.shape, pad)


def conv_backward(gy, cache):
    x, cols, wshape, pad = cache
    o, c, kh, kw = wshape
    n = x.shape[0]
    g = gy.reshape(n, o, -1)
    gw = np.einsum("nop,nkp->ok", g, cols).reshape(wshape)
    gb = g.sum(axis=(0, 2))
    return gw, gb


def pool_forward(x):
    n, c, h, w = x.shape
    r = x.reshape(n, c, h // 2, 2, w // 2, 2)
    y = r.max(axis=(3, 5))
    return y, (x, y)


def pool_backward(gy, cache):
    x, y = cache
    n, c, h, w = x.shape
    r = x.reshape(n, c, h // 2, 2, w // 2, 2)
    mask = r == y[:, :, :, None, :, None]
    # First maximum in row-major window order gets the gradient (PyTorch's choice).
    flat = mask.transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h // 2, w // 2, 4)
    first = np.zeros_like(flat)
    first[np.arange(n)[:, None, None, None], np.arange(c)[None, :, None, None],
          np.arange(h // 2)[None, None, :, None], np.arange(w // 2)[None, None, None, :], flat.argmax(axis=4)] = True
    g = first * gy[..., None]
    return g.reshape(n, c, h // 2, w // 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h, w)


def softmax_xent(z, y):
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(len(y)), y]).mean()
    g = p.copy()
    g[np.arange(len(y)), y] -= 1
    return loss, g / len(y)


# ---- Models ---------------------------------------------------------------------------------

def train_mlp(x, y, rng, epochs=40, lr=0.1):
    sizes = [64, 32, 32, 10]
    params = {}
    for k in range(3):
        params[f"fc{k + 1}.weight"] = uniform_init(rng, sizes[k], (sizes[k + 1], sizes[k]))
        params[f"fc{k + 1}.bias"] = uniform_init(rng, sizes[k], (sizes[k + 1],))
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), 32):
            idx = order[start:start + 32]
            h, acts = x[idx], []
            for k in range(3):
                z = h @ params[f"fc{k + 1}.weight"].T + params[f"fc{k + 1}.bias"]
                acts.append((h, z))
                h = np.maximum(z, 0) if k < 2 else z
            _, g = softmax_xent(h, y[idx])
            for k in reversed(range(3)):
                hin, z = acts[k]
                if k < 2:
                    g = g * (z > 0)
                gw, gb = g.T @ hin, g.sum(axis=0)
                g = g @ params[f"fc{k + 1}.weight"]
                params[f"fc{k + 1}.weight"] -= lr * gw
                params[f"fc{k + 1}.bias"] -= lr * gb
    return params


def mlp_predict(params, x):
    h = x
    for k in range(3):
        h = h @ params[f"fc{k + 1}.weight"].T + params[f"fc{k + 1}.bias"]
        if k < 2:
            h = np.maximum(h, 0)
    return h.argmax(axis=1)


def cnn_forward(params, x):
    z1, c1 = conv_forward(x, params["conv1.weight"], params["conv1.bias"], 1)
    r1 = np.maximum(z1, 0)
    p1, pc1 = pool_forward(r1)
    z2, c2 = conv_forward(p1, params["conv2.weight"], params["conv2.bias"], 1)
    r2 = np.maximum(z2, 0)
    p2, pc2 = pool_forward(r2)
    f = p2.reshape(len(x), -1)
    out = f @ params["fc.weight"].T + params["fc.bias"]
    return out, (x, z1, p1, pc1, c1, z2, pc2, c2, f)


def train_cnn(x, y, rng, epochs=40, lr=0.1):
    params = {
        "conv1.weight": uniform_init(rng, 9, (8, 1, 3, 3)), "conv1.bias": uniform_init(rng, 9, (8,)),
        "conv2.weight": uniform_init(rng, 72, (16, 8, 3, 3)), "conv2.bias": uniform_init(rng, 72, (16,)),
        "fc.weight": uniform_init(rng, 64, (10, 64)), "fc.bias": uniform_init(rng, 64, (10,)),
    }
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), 32):
            idx = order[start:start + 32]
            out, (xb, z1, p1, pc1, c1, z2, pc2, c2, f) = cnn_forward(params, x[idx])
            _, g = softmax_xent(out, y[idx])
            grads = {"fc.weight": g.T @ f, "fc.bias": g.sum(axis=0)}
            gf = (g @ params["fc.weight"]).reshape(pc2[1].shape)
            gr2 = pool_backward(gf, pc2) * (z2 > 0)
            grads["conv2.weight"], grads["conv2.bias"] = conv_backward(gr2, c2)
            # Input gradient of conv2 by the transposed convolution (flip the kernel).
            wflip = params["conv2.weight"][:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
            gp1, _ = conv_forward(gr2, np.ascontiguousarray(wflip), np.zeros(8, dtype=np.float32), 1)
            gr1 = pool_backward(gp1, pc1) * (z1 > 0)
            grads["conv1.weight"], grads["conv1.bias"] = conv_backward(gr1, c1)
            for k in params:
                params[k] -= lr * grads[k].astype(np.float32)
    return params


def lenet_init(rng):
    return {
        "conv1.weight": uniform_init(rng, 25, (6, 1, 5, 5)), "conv1.bias": np.zeros(6, np.float32),
        "conv2.weight": uniform_init(rng, 150, (16, 6, 5, 5)), "conv2.bias": np.zeros(16, np.float32),
        "fc1.weight": uniform_init(rng, 400, (120, 400)), "fc1.bias": np.zeros(120, np.float32),
        "fc2.weight": uniform_init(rng, 120, (84, 120)), "fc2.bias": np.zeros(84, np.float32),
        "fc3.weight": uniform_init(rng, 84, (10, 84)), "fc3.bias": np.zeros(10, np.float32),
    }


# ---- Files ---------------------------------------------------------------------------------

def write_example(name, graph, input_shape, params, x, y, note):
    out = os.path.join(HERE, name)
    os.makedirs(out, exist_ok=True)
    save_file({k: np.ascontiguousarray(v, dtype=np.float32) for k, v in params.items()},
              os.path.join(out, "weights.safetensors"))
    np.savez_compressed(os.path.join(out, "data.npz"), x=x[:128].astype(np.float32), y=y[:128].astype(np.int64))
    np.savez_compressed(os.path.join(out, "dataset.npz"), x=x[:1024].astype(np.float32), y=y[:1024].astype(np.int64))
    model = {
        "format": "bpcheck-model", "version": 1, "name": name,
        "input_shape": input_shape,
        "weights": "weights.safetensors",
        "graph": graph,
        "loss": {"op": "cross_entropy"},
        "data": {"inputs": "data.npz:x", "targets": "data.npz:y"},
    }
    with open(os.path.join(out, "model.json"), "w") as f:
        json.dump(model, f, indent=2)
        f.write("\n")
    with open(os.path.join(out, "README.md"), "w") as f:
        f.write(f"# {name}\n\n{note}\n\nMade by `examples/make_examples.py`; the default batch is the first "
                f"128 samples (`data.npz`), `dataset.npz` holds 1024 for dataset mode.\n")


def main():
    digits = load_digits()
    rng = np.random.default_rng(SEED)
    order = rng.permutation(len(digits.target))
    x = (digits.data[order] / 16.0).astype(np.float32)
    y = digits.target[order].astype(np.int64)
    # Train on the last 697 samples; the first 1100 (which hold the default batch and the
    # dataset) are held out.
    train_x, train_y = x[1100:], y[1100:]

    mlp = train_mlp(train_x, train_y, rng)
    acc = (mlp_predict(mlp, x[:1024]) == y[:1024]).mean()
    write_example("digits-mlp", [
        {"name": "fc1", "op": "linear", "weight": "fc1.weight", "bias": "fc1.bias"},
        {"name": "relu1", "op": "relu"},
        {"name": "fc2", "op": "linear", "weight": "fc2.weight", "bias": "fc2.bias"},
        {"name": "relu2", "op": "relu"},
        {"name": "fc3", "op": "linear", "weight": "fc3.weight", "bias": "fc3.bias"},
    ], [64], mlp, x, y, f"A 64-32-32-10 ReLU MLP trained on 8x8 digits (held-out accuracy {acc:.3f}).")

    images = x.reshape(-1, 1, 8, 8)
    cnn = train_cnn(images[1100:], train_y, rng)
    acc = (cnn_forward(cnn, images[:1024])[0].argmax(axis=1) == y[:1024]).mean()
    write_example("digits-cnn", [
        {"name": "conv1", "op": "conv2d", "weight": "conv1.weight", "bias": "conv1.bias", "padding": 1},
        {"name": "relu1", "op": "relu"},
        {"name": "pool1", "op": "maxpool2d", "kernel": 2},
        {"name": "conv2", "op": "conv2d", "weight": "conv2.weight", "bias": "conv2.bias", "padding": 1},
        {"name": "relu2", "op": "relu"},
        {"name": "pool2", "op": "maxpool2d", "kernel": 2},
        {"name": "flatten", "op": "flatten"},
        {"name": "fc", "op": "linear", "weight": "fc.weight", "bias": "fc.bias"},
    ], [1, 8, 8], cnn, images, y, f"conv-ReLU-maxpool twice then linear, trained on 8x8 digits (held-out accuracy {acc:.3f}).")

    frames = np.zeros((len(x), 1, 28, 28), dtype=np.float32)
    frames[:, 0, 10:18, 10:18] = x.reshape(-1, 8, 8)
    write_example("lenet5-init", [
        {"name": "conv1", "op": "conv2d", "weight": "conv1.weight", "bias": "conv1.bias", "padding": 2},
        {"name": "relu1", "op": "relu"},
        {"name": "pool1", "op": "maxpool2d", "kernel": 2},
        {"name": "conv2", "op": "conv2d", "weight": "conv2.weight", "bias": "conv2.bias"},
        {"name": "relu2", "op": "relu"},
        {"name": "pool2", "op": "maxpool2d", "kernel": 2},
        {"name": "flatten", "op": "flatten"},
        {"name": "fc1", "op": "linear", "weight": "fc1.weight", "bias": "fc1.bias"},
        {"name": "relu3", "op": "relu"},
        {"name": "fc2", "op": "linear", "weight": "fc2.weight", "bias": "fc2.bias"},
        {"name": "relu4", "op": "relu"},
        {"name": "fc3", "op": "linear", "weight": "fc3.weight", "bias": "fc3.bias"},
    ], [1, 28, 28], lenet_init(rng), frames, y,
        "LeNet-5 at its initialisation (PyTorch's default uniform weights, zero biases) on 8x8 digits placed "
        "in 28x28 frames with zero borders: whole windows of exact zeros meet zero biases, so ReLU and "
        "max-pool sit exactly on their kinks by structure.")


if __name__ == "__main__":
    main()
