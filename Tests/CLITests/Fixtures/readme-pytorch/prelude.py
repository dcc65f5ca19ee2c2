# Before the README's "From PyTorch" block (run.sh): the `model`, `x` and `y` it assumes, and
# the `torch` and `numpy` it uses. A small seeded CNN with trained-looking BatchNorm statistics
# and nonzero biases (exporters special-case zero biases).
import numpy
import torch
import torch.nn as nn

torch.manual_seed(20240612)
model = nn.Sequential(
    nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),   # 4×6×6
    nn.Conv2d(4, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),              # 8×2×2
    nn.Flatten(), nn.Linear(8 * 2 * 2, 10))
with torch.no_grad():
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.weight.copy_(1 + 0.2 * torch.randn(m.num_features))
            m.running_mean.copy_(0.1 * torch.randn(m.num_features))
            m.running_var.copy_(0.5 + torch.rand(m.num_features))
        if isinstance(m, (nn.Conv2d, nn.BatchNorm2d, nn.Linear)):
            m.bias.copy_(0.2 * torch.rand(m.bias.shape) - 0.1)
x = torch.randn(8, 1, 12, 12)            # float32
y = torch.randint(0, 10, (8,))           # int64

# ---- the README's block follows ----
