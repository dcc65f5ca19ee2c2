"""ONNX parity fixtures exported from JAX (jax2onnx), with JAX's own float64 loss and gradients
as the oracle, for ONNXParityTests.swift (the same format as make_onnx_fixtures.py's).

    make jax-fixtures        (jax 0.10.2, jax2onnx 0.17.1, onnx in .venv-peer)

For each network NAME: NAME.onnx (jax2onnx.to_onnx, opset 21, dynamic batch), NAME.npz (x, y,
and g:<param>, JAX's float64 gradient of the mean cross-entropy w.r.t. each weight — the
float32 weights cast up — laid out as bpcheck holds the tensor: a Gemm B without transB is
transposed, key `<name>.T`), NAME.json (loss_f64, loss_f32 from JAX's float32 forward,
parameters, exports, renamed: parameter → the ONNX tensor bpcheck reads it as, found by value).
jax2onnx names initializers const_N; biases broadcast as [1, C, 1, 1] are read per channel.
"""
import json
import os
import sys

import numpy as np

import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import onnx  # noqa: E402
import onnx.numpy_helper  # noqa: E402
from jax2onnx import to_onnx  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def mlp(p, x):
    """Dense → exact GELU → dense → LeakyReLU(0.1) → dense."""
    h = jax.nn.gelu(x @ p["w1"] + p["b1"], approximate=False)
    h = jax.nn.leaky_relu(h @ p["w2"] + p["b2"], 0.1)
    return h @ p["w3"] + p["b3"]


def cnn(p, x):
    """Conv 3×3 pad 1 (+ per-channel bias) → ReLU → 2×2 max-pool → conv 3×3 stride 2 → tanh →
    flatten → dense (NCHW, as PyTorch)."""
    dn = ("NCHW", "OIHW", "NCHW")
    y = jax.lax.conv_general_dilated(x, p["k1"], (1, 1), ((1, 1), (1, 1)), dimension_numbers=dn) + p["c1"][None, :, None, None]
    y = jax.nn.relu(y)
    y = jax.lax.reduce_window(y, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")
    y = jnp.tanh(jax.lax.conv_general_dilated(y, p["k2"], (2, 2), ((1, 1), (1, 1)), dimension_numbers=dn) + p["c2"][None, :, None, None])
    return y.reshape(y.shape[0], -1) @ p["w"] + p["b"]


def params(name, rng):
    def t(*shape, scale=0.4):
        return (scale * rng.standard_normal(shape)).astype(np.float32)
    if name == "jax-mlp":
        return {"w1": t(16, 24), "b1": t(24, scale=0.1), "w2": t(24, 16), "b2": t(16, scale=0.1), "w3": t(16, 5), "b3": t(5, scale=0.1)}
    return {"k1": t(6, 2, 3, 3), "c1": t(6, scale=0.1), "k2": t(8, 6, 3, 3), "c2": t(8, scale=0.1), "w": t(8 * 2 * 2, 7), "b": t(7, scale=0.1)}


NETWORKS = [("jax-mlp", mlp, (16,), 5, 6), ("jax-cnn", cnn, (2, 8, 8), 7, 4)]


def loss(f, p, x, y):
    logp = jax.nn.log_softmax(f(p, x), axis=1)
    return -jnp.mean(logp[jnp.arange(x.shape[0]), y])


def bpcheck_names(path, p):
    """parameter → (the tensor key bpcheck reads it as, whether bpcheck holds it transposed)."""
    m = onnx.load(path)
    inits = {t.name: onnx.numpy_helper.to_array(t) for t in m.graph.initializer}
    untransposed_b = {n.input[1] for n in m.graph.node if n.op_type == "Gemm"
                      and not any(a.name == "transB" and a.i == 1 for a in n.attribute)}
    out = {}
    for k, v in p.items():
        hits = [n for n, a in inits.items() if a.size == v.size and np.array_equal(a.reshape(-1), v.reshape(-1))]
        assert len(hits) == 1, (k, hits)
        out[k] = (hits[0] + ".T", True) if hits[0] in untransposed_b else (hits[0], False)
    return out


def main():
    for index, (name, f, shape, classes, batch) in enumerate(NETWORKS):
        rng = np.random.default_rng(4000 + index)
        p32 = params(name, rng)
        x = rng.standard_normal((batch,) + shape).astype(np.float32)
        y = rng.integers(0, classes, batch).astype(np.int64)
        path = os.path.join(HERE, f"{name}.onnx")
        model = to_onnx(lambda x: f({k: jnp.asarray(v) for k, v in p32.items()}, x), [("B",) + shape], opset=21, model_name=name)
        onnx.save(model, path)
        names = bpcheck_names(path, p32)
        p64 = {k: jnp.asarray(v, dtype=jnp.float64) for k, v in p32.items()}
        l64, grads = jax.value_and_grad(lambda p: loss(f, p, jnp.asarray(x, dtype=jnp.float64), y))(p64)
        l32 = loss(f, {k: jnp.asarray(v) for k, v in p32.items()}, jnp.asarray(x), y)
        arrays = {"x": x, "y": y}
        for k, (key, transposed) in names.items():
            g = np.asarray(grads[k], dtype=np.float64)
            arrays["g:" + k] = np.ascontiguousarray(g.T if transposed else g)
        np.savez(os.path.join(HERE, f"{name}.npz"), **arrays)
        info = {"loss_f64": float(l64), "loss_f32": float(l32), "parameters": sorted(p32), "exports": [f"{name}.onnx"],
                "renamed": {f"{name}.onnx": {k: key for k, (key, _) in sorted(names.items())}},
                "ops": {f"{name}.onnx": sorted({n.op_type for n in model.graph.node})}}
        with open(os.path.join(HERE, f"{name}.json"), "w") as fh:
            json.dump(info, fh, indent=1, sort_keys=True)
            fh.write("\n")
        print(name, info["ops"], f"loss {float(l64):.6f}")


if __name__ == "__main__":
    sys.exit(main())
