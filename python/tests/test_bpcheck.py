"""The Python door against the CLI and against analysis.md's worked example (run by
`make test-python`; BPCHECK names the executable)."""
import json
import os
import re
import subprocess
import sys

import numpy as np
import onnx
import pytest
import torch

import bpcheck

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def worked_example():
    """analysis.md's worked example as a torch module: fc(x)₀ = a·b + c·d with a = b = 1 + 2⁻²⁰,
    c = 1 + 2⁻¹⁹, d = −1 is 2⁻⁴⁰ exactly, and 0 in f32 (fl(a·b) = 1 + 2⁻¹⁹): a spurious kink
    of the ReLU at f32, none at f64."""
    fc = torch.nn.Linear(2, 2, bias=False)
    with torch.no_grad():
        fc.weight.copy_(torch.tensor([[1 + 2 ** -20, -1.0], [0.5, 0.25]]))
    model = torch.nn.Sequential(fc, torch.nn.ReLU())
    x = torch.tensor([[1 + 2 ** -20, 1 + 2 ** -19]])
    return model, x, torch.tensor([0])


def test_the_worked_example_fails_at_f32_and_passes_at_f64():
    model, x, y = worked_example()
    with pytest.raises(AssertionError) as failure:
        bpcheck.assert_robust(model, x, y, precision="f32")
    message = str(failure.value)
    assert "backprop at f32 is not robust: kink-caused gradient error" in message
    assert "spurious 1" in message and "report: " in message
    report = bpcheck.assert_robust(model, x, y, precision="f64")
    assert report["f64"].sites["spurious"] == 0 and report["f64"].error.kink == 0


def test_the_result_has_the_cli_json_numbers(tmp_path):
    model, x, y = worked_example()
    result = bpcheck.analyze(model, x, y, report_dir=str(tmp_path / "py"))
    cli = tmp_path / "cli.md"
    subprocess.run([os.environ["BPCHECK"], str(tmp_path / "py" / "model.onnx"), "--data", str(tmp_path / "py" / "batch.npz"),
                    "--report", str(cli)], check=True, capture_output=True)
    j = json.loads((tmp_path / "cli.json").read_text())
    assert set(result.precisions) == set(j["precisions"]) == {"f16", "bf16", "f32", "f64"}
    for p, r in result.precisions.items():
        q = j["precisions"][p]
        assert r.flagged == q["flagged"] and r.sites == q["sites"] and r.site_count == q["site_count"]
        for key in ("total", "kink", "rounding"):
            assert getattr(r.error, key) == (None if q["error"][key] is None else float(q["error"][key]))
    assert result["f32"].sites["spurious"] == 1


def test_batch_norm_is_kept_the_mode_restored_and_labels_are_integers(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 3, 3, padding=1), torch.nn.BatchNorm2d(3), torch.nn.ReLU(),
                                torch.nn.Flatten(), torch.nn.Linear(3 * 4 * 4, 2))
    model.train()
    x = torch.randn(4, 1, 4, 4)
    result = bpcheck.analyze(model, x, torch.tensor([0.0, 1.0, 1.0, 0.0]), precisions=["f32"], report_dir=str(tmp_path))
    assert model.training, "the module's mode is restored"
    ops = {n.op_type for n in onnx.load(str(tmp_path / "model.onnx")).graph.node}
    assert "BatchNormalization" in ops, f"batch norm kept, not folded: {ops}"
    assert np.load(tmp_path / "batch.npz")["y"].dtype == np.int64
    assert result["f32"].site_count == 4 * 3 * 4 * 4


def test_an_unsupported_op_gives_bpchecks_message():
    model = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Hardswish())
    with pytest.raises(bpcheck.BPCheckError) as failure:
        bpcheck.analyze(model, torch.randn(2, 3), torch.tensor([0, 1]))
    assert "op type 'HardSwish' is not supported" in str(failure.value)


def test_the_readme_example_runs_verbatim(tmp_path):
    readme = open(os.path.join(ROOT, "README.md")).read()
    section = readme.split("## From Python / pytest", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    (tmp_path / "test_readme_example.py").write_text(code)
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", str(tmp_path / "test_readme_example.py")],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
