"""The JAX peer of bpcheck's benchmark (performance.md): the same W1 and W2 workloads, generated
with the same seeded generator in the same order, forward + backward (gradient of the mean
cross-entropy w.r.t. every parameter) under jax.jit on the CPU. Prints one JSON object:
{"W1 mlp": {"f32": ms, "f64": ms}, "W2 lenet5": {...}} with medians of repeated runs.

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


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    out = {}
    for name, build in [("W1 mlp", w1), ("W2 lenet5", w2)]:
        loss, params, x = build(128)
        out[name] = {"f32": median_ms(loss, params, x, jnp.float32, runs), "f64": median_ms(loss, params, x, jnp.float64, runs)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
