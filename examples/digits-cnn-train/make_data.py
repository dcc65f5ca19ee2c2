"""The data of the training example (numpy only): examples/digits-cnn/dataset.npz (1024 of
scikit-learn's 8x8 digits, as examples/make_examples.py wrote them) split into a training set
(samples 256..1023: 768) and a held-out set (samples 0..255: 256).

    python examples/digits-cnn-train/make_data.py
"""
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
d = np.load(os.path.join(HERE, "..", "digits-cnn", "dataset.npz"))
x, y = d["x"], d["y"]
np.savez(os.path.join(HERE, "train.npz"), x=x[256:], y=y[256:])
np.savez(os.path.join(HERE, "heldout.npz"), x=x[:256], y=y[:256])
