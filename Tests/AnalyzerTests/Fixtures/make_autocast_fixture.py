"""torch's CPU autocast (bfloat16) on a small CNN, as a second oracle for bpcheck's amp-bf16.

conv2d(pad 1) -> batch_norm (eval, f32 statistics) -> relu -> max_pool2d(2) -> flatten ->
linear -> cross_entropy, run under torch.autocast("cpu", dtype=torch.bfloat16) with f32 master
weights and input. Writes autocast-bf16.json: the f32 inputs and parameters, every node's output
(bf16 values as floats, the loss in f32) and the parameters' f32 gradients.

    .venv-onnx/bin/python make_autocast_fixture.py    # torch 2.13.0+cpu
"""
import json
import torch

torch.manual_seed(14)
x = torch.randn(4, 2, 6, 6)
conv = torch.nn.Conv2d(2, 3, 3, padding=1)
bn = torch.nn.BatchNorm2d(3).eval()
with torch.no_grad():
    bn.running_mean.copy_(torch.randn(3) * 0.1)
    bn.running_var.copy_(torch.rand(3) + 0.5)
    bn.weight.copy_(torch.rand(3) + 0.5)
    bn.bias.copy_(torch.randn(3) * 0.1)
fc = torch.nn.Linear(27, 5)
y = torch.tensor([0, 1, 4, 2])
with torch.autocast("cpu", dtype=torch.bfloat16):
    c = conv(x)
    b = bn(c)
    r = torch.relu(b)
    p = torch.nn.functional.max_pool2d(r, 2)
    f = p.flatten(1)
    z = fc(f)
    loss = torch.nn.functional.cross_entropy(z, y)
for t in (c, b, r, p, z):
    t.retain_grad()
loss.backward()
assert c.dtype == b.dtype == z.dtype == torch.bfloat16 and loss.dtype == torch.float32
values = lambda t: [float(v) for v in t.detach().float().flatten()]
out = {
    "torch": torch.__version__,
    "inputs": {"x": values(x), "w": values(conv.weight), "b": values(conv.bias), "gamma": values(bn.weight),
               "beta": values(bn.bias), "mean": values(bn.running_mean), "var": values(bn.running_var),
               "fw": values(fc.weight), "fb": values(fc.bias)},
    "labels": y.tolist(),
    "outputs": {"conv": values(c), "bn": values(b), "relu": values(r), "pool": values(p), "fc": values(z), "loss": values(loss)},
    "gradients": {"w": values(conv.weight.grad), "b": values(conv.bias.grad), "fw": values(fc.weight.grad),
                  "fb": values(fc.bias.grad), "fc": values(z.grad), "gamma": values(bn.weight.grad)},
}
with open("autocast-bf16.json", "w") as fh:
    json.dump(out, fh)
