"""The JAX peer of bpcheck's benchmark: the same W1, W2 (batch 128), W3 and W4 (batch 8)
workloads, generated with the same seeded generator in the same order, forward + backward
(gradient of the mean cross-entropy w.r.t. every parameter) under jax.jit on the CPU. Prints one
JSON object: {"W1 mlp": {"f32": ms, "f64": ms}, "W2 lenet5": {...}, ...} with medians of
repeated runs.

    make peer        # creates .venv-peer with jax[cpu] and runs this script
"""
import json
import sys
import time

import numpy as np

import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp
from jax import lax

MASK = (1 << 64) - 1


class Generator:
    """The benchmark's LCG (Sources/Workloads/Workload.swift): state ← state·a + c mod 2⁶⁴,
    each draw rounded to f32 as there."""

    def __init__(self):
        self.state = 0x5EED0001

    def uniform(self, lo, hi, n):
        out = np.empty(n)
        s = self.state
        for k in range(n):
            s = (s * 6364136223846793005 + 1442695040888963407) & MASK
            out[k] = np.float32(lo + (hi - lo) * (s >> 11) * 2.0 ** -53)
        self.state = s
        return out

    def inputs(self, n):
        out = np.empty(n)
        for k in range(n):
            u = self.uniform(0, 1, 1)[0]
            out[k] = 0.0 if u < 0.6 else self.uniform(0, 1, 1)[0]
        return out


def w1(batch):
    g = Generator()
    x = g.inputs(batch * 784).reshape(batch, 784)
    params = []
    for i, o in [(784, 256), (256, 256), (256, 10)]:
        bound = 1 / np.sqrt(i)
        params.append(g.uniform(-bound, bound, o * i).reshape(o, i))
        params.append(g.uniform(-bound, bound, o))

    def loss(params, x, y):
        h = x
        for k in range(3):
            h = h @ params[2 * k].T + params[2 * k + 1]
            if k < 2:
                h = jnp.maximum(h, 0)
        return -jnp.mean(jax.nn.log_softmax(h)[jnp.arange(batch), y])

    return loss, params, x


def w2(batch):
    g = Generator()
    x = g.inputs(batch * 784).reshape(batch, 1, 28, 28)
    params = []
    for shape, fan in [((6, 1, 5, 5), 25), ((6,), 25), ((16, 6, 5, 5), 150), ((16,), 150)]:
        params.append(g.uniform(-1 / np.sqrt(fan), 1 / np.sqrt(fan), int(np.prod(shape))).reshape(shape))
    for i, o in [(400, 120), (120, 84), (84, 10)]:
        bound = 1 / np.sqrt(i)
        params.append(g.uniform(-bound, bound, o * i).reshape(o, i))
        params.append(g.uniform(-bound, bound, o))

    def pool(h):
        return lax.reduce_window(h, -jnp.inf, lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")

    def loss(params, x, y):
        h = lax.conv_general_dilated(x, params[0], (1, 1), ((2, 2), (2, 2))) + params[1][None, :, None, None]
        h = pool(jnp.maximum(h, 0))
        h = lax.conv_general_dilated(h, params[2], (1, 1), "VALID") + params[3][None, :, None, None]
        h = pool(jnp.maximum(h, 0)).reshape(x.shape[0], -1)
        for k in range(3):
            h = h @ params[4 + 2 * k].T + params[5 + 2 * k]
            if k < 2:
                h = jnp.maximum(h, 0)
        return -jnp.mean(jax.nn.log_softmax(h)[jnp.arange(x.shape[0]), y])

    return loss, params, x


def conv(h, w, stride, pad):
    return lax.conv_general_dilated(h, w, (stride, stride), ((pad, pad), (pad, pad)))


def w3(batch):
    """VGG11 for 32×32×3 (Workload.swift's W3)."""
    g = Generator()
    x = g.uniform(0, 1, batch * 3 * 32 * 32).reshape(batch, 3, 32, 32)
    params, c = [], 3
    plan = [64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0]
    for layer in plan:
        if layer:
            bound = 1 / np.sqrt(c * 9)
            params.append(g.uniform(-bound, bound, layer * c * 9).reshape(layer, c, 3, 3))
            params.append(g.uniform(-bound, bound, layer))
            c = layer
    bound = 1 / np.sqrt(512)
    params.append(g.uniform(-bound, bound, 5120).reshape(10, 512))
    params.append(g.uniform(-bound, bound, 10))

    def loss(params, x, y):
        h, k = x, 0
        for layer in plan:
            if layer == 0:
                h = lax.reduce_window(h, -jnp.inf, lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")
            else:
                h = jnp.maximum(conv(h, params[2 * k], 1, 1) + params[2 * k + 1][None, :, None, None], 0)
                k += 1
        h = h.reshape(x.shape[0], -1) @ params[-2].T + params[-1]
        return -jnp.mean(jax.nn.log_softmax(h)[jnp.arange(x.shape[0]), y])

    return loss, params, x


def w4(batch):
    """ResNet18 for 32×32×3 (Workload.swift's W4): batch norm in eval mode; the running
    statistics are constants, not differentiated."""
    g = Generator()
    x = g.uniform(0, 1, batch * 3 * 32 * 32).reshape(batch, 3, 32, 32)
    params, buffers, layout = [], [], []

    def conv_w(cin, cout, k):
        bound = 1 / np.sqrt(cin * k * k)
        params.append(g.uniform(-bound, bound, cout * cin * k * k).reshape(cout, cin, k, k))
        return len(params) - 1

    def bn(c):
        params.append(g.uniform(0.5, 1.5, c))
        params.append(g.uniform(-0.1, 0.1, c))
        buffers.append((g.uniform(-0.1, 0.1, c), g.uniform(0.5, 1.5, c)))
        return (len(params) - 2, len(buffers) - 1)

    stem = (conv_w(3, 64, 3), bn(64))
    c = 64
    for stage, width in enumerate([64, 128, 256, 512]):
        for block in range(2):
            stride = 2 if stage > 0 and block == 0 else 1
            c1, b1 = conv_w(c, width, 3), bn(width)
            c2, b2 = conv_w(width, width, 3), bn(width)
            down = (conv_w(c, width, 1), bn(width)) if stride != 1 or c != width else None
            layout.append((stride, c1, b1, c2, b2, down))
            c = width
    bound = 1 / np.sqrt(512)
    params.append(g.uniform(-bound, bound, 5120).reshape(10, 512))
    params.append(g.uniform(-bound, bound, 10))
    consts = [tuple(jnp.asarray(a) for a in pair) for pair in buffers]

    def loss(params, x, y):
        def norm(h, b):
            (p, q) = b
            mean, var = consts[q]
            mean, var = mean.astype(h.dtype), var.astype(h.dtype)
            return (h - mean[None, :, None, None]) / jnp.sqrt(var[None, :, None, None] + 1e-5) * params[p][None, :, None, None] + params[p + 1][None, :, None, None]
        h = jnp.maximum(norm(conv(x, params[stem[0]], 1, 1), stem[1]), 0)
        for stride, c1, b1, c2, b2, down in layout:
            z = jnp.maximum(norm(conv(h, params[c1], stride, 1), b1), 0)
            z = norm(conv(z, params[c2], 1, 1), b2)
            s = h if down is None else norm(conv(h, params[down[0]], stride, 0), down[1])
            h = jnp.maximum(z + s, 0)
        h = jnp.mean(h, axis=(2, 3)) @ params[-2].T + params[-1]
        return -jnp.mean(jax.nn.log_softmax(h)[jnp.arange(x.shape[0]), y])

    return loss, params, x


def median_ms(loss, params, x, dtype, runs):
    y = jnp.arange(x.shape[0]) % 10
    p = [jnp.asarray(a, dtype=dtype) for a in params]
    xs = jnp.asarray(x, dtype=dtype)
    grad = jax.jit(jax.grad(loss))
    jax.block_until_ready(grad(p, xs, y))
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        jax.block_until_ready(grad(p, xs, y))
        samples.append((time.perf_counter() - t) * 1e3)
    return sorted(samples)[len(samples) // 2]


def losses(batch):
    """The float64 loss of each workload at `batch` (labels k mod 10), for the tests' fixture:
    bpcheck's f64 pass on the same draws must agree (Tests/AnalyzerTests/PaperWorkloadTests)."""
    out = {}
    for name, build in [("W1 mlp", w1), ("W2 lenet5", w2), ("W3 vgg11", w3), ("W4 resnet18", w4)]:
        loss, params, x = build(batch)
        y = jnp.arange(batch) % 10
        out[name] = float(loss([jnp.asarray(a, dtype=jnp.float64) for a in params], jnp.asarray(x, dtype=jnp.float64), y))
    return out


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--losses":
        print(json.dumps(losses(int(sys.argv[2]) if len(sys.argv) > 2 else 2), indent=1))
        return
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    out = {}
    for name, build, batch in [("W1 mlp", w1, 128), ("W2 lenet5", w2, 128), ("W3 vgg11", w3, 8), ("W4 resnet18", w4, 8)]:
        loss, params, x = build(batch)
        n = runs if batch == 128 else max(3, runs // 10)
        out[name] = {"f32": median_ms(loss, params, x, jnp.float32, n), "f64": median_ms(loss, params, x, jnp.float64, n)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
