"""The soundness fixture: 60 random small networks (MLPs and CNNs with ReLU, max- and
average-pooling, random biases with exact zeros) and every nonsmooth decision computed in exact
rational arithmetic (Python's fractions), independently of bpcheck.

    python Tests/AnalyzerTests/Fixtures/make_rational_decisions.py     (standard library only)

Weights and inputs are drawn from small dyadic grids (so sums cancel exactly and ties are
common) or from random doubles; average pooling divides by 3 or 9, which binary arithmetic
cannot do exactly. Writes rational-decisions.json: for each network a complete model.json
document and, per nonsmooth node, the decision codes (relu: 0 below, 1 at 0, 2 above) or the
arg-max sets (max-pool, row-major window positions).
"""
import json
import os
import random
from fractions import Fraction

HERE = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(1121)


def value(kind):
    if kind == "grid":
        return rng.choice([-1, -0.5, -0.25, 0, 0, 0.25, 0.5, 1, 0.75, -0.75])
    return rng.choice([0.0, rng.uniform(-1, 1), rng.uniform(-1, 1)])


def tensor(shape, kind):
    n = 1
    for d in shape:
        n *= d
    return [value(kind) for _ in range(n)]


def linear(x, w, b, n_in, n_out):
    return [sum((x[i] * w[o * n_in + i] for i in range(n_in)), Fraction(0)) + b[o] for o in range(n_out)]


def relu(xs):
    codes = [0 if v < 0 else (1 if v == 0 else 2) for v in xs]
    return [max(v, Fraction(0)) for v in xs], codes


def conv(x, c, h, w_, wt, b, o, k, pad):
    oh, ow = h + 2 * pad - k + 1, w_ + 2 * pad - k + 1
    out = []
    for oc in range(o):
        for oy in range(oh):
            for ox in range(ow):
                s = Fraction(0)
                for ci in range(c):
                    for i in range(k):
                        for j in range(k):
                            iy, ix = oy - pad + i, ox - pad + j
                            if 0 <= iy < h and 0 <= ix < w_:
                                s += x[(ci * h + iy) * w_ + ix] * wt[((oc * c + ci) * k + i) * k + j]
                out.append(s + b[oc])
    return out, oh, ow


def pool(x, c, h, w_, k, kind):
    oh, ow = h // k, w_ // k
    out, sets = [], []
    for ci in range(c):
        for oy in range(oh):
            for ox in range(ow):
                window = [x[(ci * h + oy * k + i) * w_ + ox * k + j] for i in range(k) for j in range(k)]
                if kind == "max":
                    m = max(window)
                    out.append(m)
                    sets.append([p for p, v in enumerate(window) if v == m])
                else:
                    out.append(sum(window, Fraction(0)) / (k * k))
    return out, oh, ow, sets


def network(index):
    kind = rng.choice(["grid", "random"])
    batch = 2
    if index % 2 == 0:  # MLP
        n_in, n_hidden, n_out = rng.randint(2, 6), rng.randint(2, 6), 3
        w1, b1 = tensor([n_hidden, n_in], kind), tensor([n_hidden], kind)
        w2, b2 = tensor([n_out, n_hidden], kind), tensor([n_out], kind)
        xs = tensor([batch, n_in], kind)
        decisions = {"relu1": []}
        for s in range(batch):
            x = [Fraction(v) for v in xs[s * n_in:(s + 1) * n_in]]
            h, codes = relu(linear(x, [Fraction(v) for v in w1], [Fraction(v) for v in b1], n_in, n_hidden))
            decisions["relu1"] += codes
        model = {
            "format": "bpcheck-model", "version": 1, "name": f"net{index}", "input_shape": [n_in],
            "tensors": {"w1": {"shape": [n_hidden, n_in], "dtype": "f64", "data": w1}, "b1": {"shape": [n_hidden], "dtype": "f64", "data": b1},
                        "w2": {"shape": [n_out, n_hidden], "dtype": "f64", "data": w2}, "b2": {"shape": [n_out], "dtype": "f64", "data": b2}},
            "graph": [{"name": "fc1", "op": "linear", "weight": "w1", "bias": "b1"}, {"name": "relu1", "op": "relu"},
                      {"name": "fc2", "op": "linear", "weight": "w2", "bias": "b2"}],
        }
    else:  # CNN: conv → relu → maxpool 2 → avgpool 3 (divides by 9) → flatten → linear
        c, o, h = rng.randint(1, 2), rng.randint(1, 3), 6
        k = rng.choice([1, 3])
        wt, b = tensor([o, c, k, k], kind), tensor([o], kind)
        w2 = tensor([3, o], kind)
        xs = tensor([batch, c, h, h], kind)
        decisions = {"relu1": [], "pool1": []}
        for s in range(batch):
            x = [Fraction(v) for v in xs[s * c * h * h:(s + 1) * c * h * h]]
            y, oh, ow = conv(x, c, h, h, [Fraction(v) for v in wt], [Fraction(v) for v in b], o, k, (k - 1) // 2)
            r, codes = relu(y)
            decisions["relu1"] += codes
            p, ph, pw, sets = pool(r, o, oh, ow, 2, "max")
            decisions["pool1"] += sets
        model = {
            "format": "bpcheck-model", "version": 1, "name": f"net{index}", "input_shape": [c, h, h],
            "tensors": {"w": {"shape": [o, c, k, k], "dtype": "f64", "data": wt}, "b": {"shape": [o], "dtype": "f64", "data": b},
                        "w2": {"shape": [3, o], "dtype": "f64", "data": w2}},
            "graph": [{"name": "conv1", "op": "conv2d", "weight": "w", "bias": "b", "padding": (k - 1) // 2},
                      {"name": "relu1", "op": "relu"}, {"name": "pool1", "op": "maxpool2d", "kernel": 2},
                      {"name": "avg", "op": "avgpool2d", "kernel": 3}, {"name": "flatten", "op": "flatten"},
                      {"name": "fc", "op": "linear", "weight": "w2"}],
        }
        # A second ReLU after the inexact average: its input is (Σ of 9 values)/9.
        model["graph"].insert(4, {"name": "relu2", "op": "relu"})
        decisions["relu2"] = []
        for s in range(batch):
            x = [Fraction(v) for v in xs[s * c * h * h:(s + 1) * c * h * h]]
            y, oh, ow = conv(x, c, h, h, [Fraction(v) for v in wt], [Fraction(v) for v in b], o, k, (k - 1) // 2)
            r, _ = relu(y)
            p, ph, pw, _ = pool(r, o, oh, ow, 2, "max")
            a, _, _, _ = pool(p, o, ph, pw, 3, "avg")
            _, codes = relu(a)
            decisions["relu2"] += codes
    model["loss"] = {"op": "cross_entropy"}
    shape = [batch] + model["input_shape"]
    model["data"] = {"inputs": {"shape": shape, "dtype": "f64", "data": xs},
                     "targets": {"shape": [batch], "dtype": "i64", "data": [0, 2]}}
    return {"model": model, "decisions": decisions}


networks = [network(i) for i in range(60)]
with open(os.path.join(HERE, "rational-decisions.json"), "w") as f:
    json.dump(networks, f)
    f.write("\n")
kinks = sum(1 for n in networks for node, d in n["decisions"].items() for v in d if v == 1 or (isinstance(v, list) and len(v) > 1))
print(f"{len(networks)} networks, {kinks} exact kinks")
