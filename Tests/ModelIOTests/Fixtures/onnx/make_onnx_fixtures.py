"""ONNX parity fixtures: small PyTorch networks exported to ONNX, with a batch and torch's loss
and gradients for ONNXParityTests.swift.

    make onnx-fixtures        (torch==2.13.0+cpu, onnx==1.23.2, onnxscript in .venv-onnx)

For each network NAME and exporter E (legacy: torch.onnx.export(dynamo=False); dynamo: the
default exporter, when onnxscript imports):
  NAME-E.onnx (+ NAME-E.onnx.data: dynamo writes external data); NAME-legacyOPSET.onnx, a
              legacy export at another opset than 17 (LEGACY_OPSETS: gelu at 20, for the Gelu op)
  NAME.npz    x (float32 batch), y (int64 labels), and g:<param> the float64 gradient of the
              mean cross-entropy w.r.t. each parameter (model.double(): the float32 weights cast
              up, the point bpcheck's f64 run of the file's f32 weights computes at)
  NAME.json   loss_f64, loss_f32 (torch's float32 forward), parameters, exports; for the
              networks in OPS_LISTED also ops: each export file's sorted distinct op_types
Weights are seeded and "trained-looking" (nonzero biases, BatchNorm statistics away from 0/1):
exporters special-case zero biases.
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(20240611)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(16, 24), nn.Linear(24, 16), nn.Linear(16, 5)

    def forward(self, x):
        # (F.softplus would export under dynamo as Softplus + Greater + Where, its threshold 20.)
        return self.fc3(torch.sigmoid(self.fc2(torch.tanh(self.fc1(x)))))


class LeNet5(nn.Module):
    """LeNet-5's layout on 1×20×20 (small fixtures): conv5 p2, pool, conv5, pool, 3 linears."""
    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 6, 5, padding=2), nn.Conv2d(6, 16, 5)
        self.fc1, self.fc2, self.fc3 = nn.Linear(16 * 3 * 3, 32), nn.Linear(32, 24), nn.Linear(24, 10)

    def forward(self, x):
        x = F.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = F.max_pool2d(torch.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.fc3(torch.relu(self.fc2(torch.relu(self.fc1(x)))))


class SmallVGG(nn.Module):
    """VGG-style: 3×3 convs, average pooling (one padded, count_include_pad default True),
    AdaptiveAvgPool2d(1), dropout, a classifier."""
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2),
            nn.Conv2d(8, 12, 3, padding=1), nn.ReLU(), nn.AvgPool2d(3, stride=1, padding=1), nn.AvgPool2d(2))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(0.5), nn.Linear(12, 10))

    def forward(self, x):
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))


class BNNet(nn.Module):
    """Conv + BatchNorm (eval, kept in the export), a residual Add, global average pooling."""
    def __init__(self):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8)
        self.conv2, self.bn2 = nn.Conv2d(8, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8)
        self.fc = nn.Linear(8, 6)

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = F.max_pool2d(y, 2)
        z = torch.relu(self.bn2(self.conv2(y)) + y)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(z, 1), 1))


class ActNet(nn.Module):
    """LeakyReLU, ELU, ReLU6, Hardtanh, Abs, max-pooling with stride and padding, a grouped and
    dilated strided conv, elementwise max/min of two branches, a trailing softmax (exported,
    removed by the reader before cross-entropy)."""
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(2, 6, 3, padding=1)
        self.conv2 = nn.Conv2d(6, 6, 3, stride=2, padding=2, dilation=2, groups=3)
        self.conv3 = nn.Conv2d(6, 6, 1)
        self.fc = nn.Linear(6 * 4 * 4, 7)
        self.act1, self.act2, self.act3 = nn.LeakyReLU(0.1), nn.ELU(0.7), nn.ReLU6()
        self.act4 = nn.Hardtanh(-0.5, 1.5)

    def logits(self, x):
        x = F.max_pool2d(self.act1(self.conv1(x)), 3, stride=1, padding=1)
        a = self.act2(self.conv2(x))
        b = self.act3(self.conv3(a))
        m = torch.maximum(a, b) + torch.minimum(torch.abs(a), self.act4(b))
        return self.fc(torch.flatten(m, 1))

    def forward(self, x):
        return torch.softmax(self.logits(x), dim=1)


class DepthwiseNet(nn.Module):
    """MobileNet-style: ReLU6, depthwise 3×3 convolutions (groups = channels), pointwise 1×1
    ones, a residual Add, a strided depthwise block, global average pooling."""
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.dw1 = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.pw1 = nn.Conv2d(8, 8, 1)
        self.dw2 = nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=8)
        self.pw2 = nn.Conv2d(8, 16, 1)
        self.fc = nn.Linear(16, 5)
        self.act = nn.ReLU6()

    def forward(self, x):
        h = self.act(self.stem(x))
        h = h + self.pw1(self.act(self.dw1(h)))
        h = self.act(self.pw2(self.act(self.dw2(h))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(h, 1), 1))


class GeluNet(nn.Module):
    """GELU exact (erf) and tanh-approximated, LeakyReLU, ELU, average pooling without
    count_include_pad (the border windows divide by the cells they cover)."""
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.GELU(), nn.AvgPool2d(2),
            nn.Conv2d(8, 8, 3, padding=1), nn.LeakyReLU(0.1), nn.ELU(),
            nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False))
        self.classifier = nn.Sequential(nn.Linear(8 * 4 * 4, 16), nn.GELU(approximate="tanh"), nn.Linear(16, 5))

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


class BranchNet(nn.Module):
    """What a user's CNN exports besides layers: input normalisation (x - mean) / std with
    per-channel buffers, an asymmetric ZeroPad2d before an unpadded conv, a conv padded (1, 2),
    two branches concatenated on channels, PReLU per channel and with one slope, clamp,
    ceil_mode max-pooling on an odd size, products and differences of computed tensors,
    multiplication and division by scalars."""
    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).reshape(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).reshape(1, 3, 1, 1))
        self.pad = nn.ZeroPad2d((0, 1, 0, 1))
        self.conv1 = nn.Conv2d(3, 6, 3)
        self.prelu1 = nn.PReLU(num_parameters=6)
        self.conv_a = nn.Conv2d(6, 4, 3, padding=1)
        self.conv_b = nn.Conv2d(6, 4, (3, 5), padding=(1, 2))
        self.prelu2 = nn.PReLU()
        self.conv2 = nn.Conv2d(8, 8, 2)
        self.pool = nn.MaxPool2d(2, ceil_mode=True)
        self.conv3 = nn.Conv2d(8, 8, 1)
        self.fc = nn.Linear(8 * 4 * 4, 6)

    def forward(self, x):
        h = (x - self.mean) / self.std                           # 3×9×9
        h = self.prelu1(self.conv1(self.pad(h)))                 # pad to 10×10, conv3 → 6×8×8
        h = torch.cat([self.conv_a(h), self.conv_b(h)], 1)       # 8×8×8
        h = torch.clamp(self.prelu2(h), -0.5, 1.5)
        h = self.pool(self.conv2(h) * 0.5)                       # 8×7×7 → ceil → 8×4×4
        h = h * torch.sigmoid(h)
        h = (self.conv3(h) - h) / 3.0
        return self.fc(torch.flatten(h, 1))


def trained_looking(model):
    g = torch.Generator().manual_seed(7)
    prelu = {f"{m}.weight" if m else "weight" for m, mod in model.named_modules() if isinstance(mod, nn.PReLU)}
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name in prelu:  # PReLU slopes (0.25 by default)
                p.copy_(0.1 + 0.1 * torch.rand(p.shape, generator=g))
            elif name.endswith("bias"):
                p.copy_(0.2 * torch.rand(p.shape, generator=g) - 0.1)
            elif p.dim() == 1:  # BatchNorm weight
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=g))
        for name, b in model.named_buffers():
            if name.endswith("running_mean"):
                b.copy_(0.1 * torch.randn(b.shape, generator=g))
            elif name.endswith("running_var"):
                b.copy_(0.5 + torch.rand(b.shape, generator=g))
    return model.eval()


NETWORKS = [
    # name, module, per-sample shape, classes, batch, legacy export options
    ("mlp", MLP(), (16,), 5, 6, {}),
    ("lenet5", LeNet5(), (1, 20, 20), 10, 4, {}),
    ("vgg", SmallVGG(), (3, 16, 16), 10, 3, {}),
    ("bn", BNNet(), (3, 8, 8), 6, 4, {"training": torch.onnx.TrainingMode.PRESERVE, "do_constant_folding": False}),
    ("act", ActNet(), (2, 8, 8), 7, 5, {}),
    ("depthwise", DepthwiseNet(), (3, 8, 8), 5, 4, {}),
    ("gelu", GeluNet(), (3, 8, 8), 5, 4, {}),
    ("branch", BranchNet(), (3, 9, 9), 6, 4, {}),
]
# Further legacy exports at another opset: NAME-legacyOPSET.onnx (opset 20 has the Gelu op).
LEGACY_OPSETS = {"gelu": [20]}
# Networks whose NAME.json lists each export's distinct op_types under "ops" (the networks
# before them keep their committed .json byte-identical).
OPS_LISTED = {"gelu", "branch"}


def loss_of(model, x, y):
    out = model.logits(x) if hasattr(model, "logits") else model(x)
    return F.cross_entropy(out, y)


def ops_of(path):
    """The distinct op_types of an ONNX file's graph (not of the functions it may define)."""
    import onnx
    return sorted({node.op_type for node in onnx.load(path, load_external_data=False).graph.node})


def renamed_parameters(model, path):
    import onnx
    import onnx.numpy_helper
    m = onnx.load(path)
    inits = {t.name: onnx.numpy_helper.to_array(t).reshape(-1) for t in m.graph.initializer}
    for n in m.graph.node:
        if n.op_type == "Constant":
            for a in n.attribute:
                if a.name == "value":
                    inits[n.output[0]] = onnx.numpy_helper.to_array(a.t).reshape(-1)
    out = {}
    for pname, p in model.named_parameters():
        if pname in inits:
            continue
        values = p.detach().float().numpy().reshape(-1)
        hits = [k for k, v in inits.items() if v.shape == values.shape and np.array_equal(v, values)]
        if len(hits) == 1:
            out[pname] = hits[0]
    return out


def main():
    try:
        import onnxscript  # noqa: F401  (the dynamo exporter needs it)
        exporters = ["legacy", "dynamo"]
    except ImportError:
        exporters = ["legacy"]
    for name, model, shape, classes, batch, options in NETWORKS:
        trained_looking(model)
        g = torch.Generator().manual_seed(1000 + [n[0] for n in NETWORKS].index(name))
        x = torch.randn((batch,) + shape, generator=g)
        y = torch.randint(0, classes, (batch,), generator=g)
        exports = []
        for exporter in exporters + [f"legacy{opset}" for opset in LEGACY_OPSETS.get(name, [])]:
            if exporter == "dynamo" and name == "bn":
                continue  # dynamo folds eval BatchNorm into the convs: another network
            path = os.path.join(HERE, f"{name}-{exporter}.onnx")
            for stale in (path, path + ".data"):
                if os.path.exists(stale):
                    os.remove(stale)
            if exporter.startswith("legacy"):
                opset = int(exporter[len("legacy"):] or 17)
                torch.onnx.export(model, (x,), path, dynamo=False, input_names=["x"], output_names=["out"],
                                  dynamic_axes={"x": {0: "N"}} if name != "lenet5" else None, opset_version=opset, **options)
            else:
                torch.onnx.export(model, (x,), path, dynamo=True, input_names=["x"], output_names=["out"],
                                  dynamic_shapes=({0: torch.export.Dim("N")},) if name == "mlp" else None)
            exports.append(os.path.basename(path))
        loss32 = loss_of(model, x, y).item()
        m64 = model.double()
        loss = loss_of(m64, x.double(), y)
        params = list(m64.named_parameters())
        grads = torch.autograd.grad(loss, [p for _, p in params])
        arrays = {"x": x.numpy(), "y": y.numpy().astype(np.int64)}
        for (pname, _), gr in zip(params, grads):
            arrays["g:" + pname] = gr.numpy()
        np.savez(os.path.join(HERE, f"{name}.npz"), **arrays)
        info = {"loss_f64": loss.item(), "loss_f32": loss32, "parameters": [p for p, _ in params], "exports": exports}
        if name in OPS_LISTED:
            info["ops"] = {e: ops_of(os.path.join(HERE, e)) for e in exports}
            # Parameters an exporter renames (PReLU slopes become onnx::PRelu_N / val_N): the
            # initializer holding the same values, per export.
            renamed = {e: renamed_parameters(model, os.path.join(HERE, e)) for e in exports}
            info["renamed"] = {e: r for e, r in renamed.items() if r}
        with open(os.path.join(HERE, f"{name}.json"), "w") as f:
            json.dump(info, f, indent=1, sort_keys=True)
            f.write("\n")
        model.float()
        print(name, exports, f"loss {loss.item():.6f}")


if __name__ == "__main__":
    sys.exit(main())
