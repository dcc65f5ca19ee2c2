"""examples/mnist-cnn-pretrained: a real pretrained third-party network, exported to ONNX.

The weights are those shipped in the PyPI package `digit-recognizer-py` 0.1.0 (MIT licence,
Copyright (c) 2026 Shivam Gupta): `digit_recognizer/models/handwriting_model.pth`, a trained
MNIST CNN (3 × [Conv2d 3×3 pad 1, ReLU, MaxPool2d 2] with 1→32→64→128 channels, Linear
1152→256, ReLU, Linear 256→10). The state_dict is read straight from the wheel (`pip download
digit-recognizer-py==0.1.0 --no-deps`), the network is the package's own `CNN` class (rewritten
here, same layer names), and it is exported with PyTorch's legacy exporter and a dynamic batch
(its `x.view(x.size(0), -1)` becomes Shape → Gather → Unsqueeze → Concat → Reshape).

The batch: the first 32 of scikit-learn's bundled 8×8 digits (BSD-3), scaled to [0, 1],
resized to 28×28 (bilinear) and normalised as the package does (mean 0.1307, std 0.3081).

    make pretrained-example   # a venv with torch 2.13.0+cpu (the wheel on disk), onnx, scikit-learn
"""
import glob
import io
import os
import sys
import zipfile

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.datasets import load_digits

HERE = os.path.dirname(os.path.abspath(__file__))


class CNN(nn.Module):
    """digit_recognizer.model.CNN, verbatim in structure and names."""

    def __init__(self):
        super().__init__()
        self.conv_layers = nn.Sequential(
            nn.Conv2d(1, 32, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
            nn.Conv2d(32, 64, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
            nn.Conv2d(64, 128, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2))
        self.fc_layers = nn.Sequential(nn.Linear(128 * 3 * 3, 256), nn.ReLU(), nn.Linear(256, 10))

    def forward(self, x):
        x = self.conv_layers(x)
        x = x.view(x.size(0), -1)
        return self.fc_layers(x)


def main():
    wheel = sys.argv[1] if len(sys.argv) > 1 else glob.glob(os.path.join(HERE, "digit_recognizer_py-0.1.0-*.whl"))[0]
    with zipfile.ZipFile(wheel) as z:
        state = torch.load(io.BytesIO(z.read("digit_recognizer/models/handwriting_model.pth")), map_location="cpu", weights_only=True)
    model = CNN()
    model.load_state_dict(state)
    model.eval()

    digits = load_digits()
    images = torch.tensor(digits.images[:32] / 16.0, dtype=torch.float32).unsqueeze(1)
    x = F.interpolate(images, size=(28, 28), mode="bilinear", align_corners=False)
    x = ((x - 0.1307) / 0.3081).contiguous()
    y = torch.tensor(digits.target[:32], dtype=torch.int64)
    with torch.no_grad():
        accuracy = (model(x).argmax(1) == y).float().mean().item()
    torch.onnx.export(model, (x[:2],), os.path.join(HERE, "mnist-cnn-pretrained.onnx"), dynamo=False, input_names=["x"], output_names=["logits"],
                      dynamic_axes={"x": {0: "N"}, "logits": {0: "N"}})
    np.savez(os.path.join(HERE, "data.npz"), x=x.numpy(), y=y.numpy())
    print(f"exported; accuracy on the 32 digits: {accuracy:.3f}")


if __name__ == "__main__":
    main()
