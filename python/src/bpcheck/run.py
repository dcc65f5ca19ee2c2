"""Export, run, read."""
import json
import os
import shutil
import subprocess
import tempfile
from typing import Any, Iterable, Optional

import numpy as np

from .report import Report


class BPCheckError(RuntimeError):
    """bpcheck refused the model, the batch or an option (its exit code 2): the message is the
    command's own (it names the file, node and key)."""


def _executable() -> str:
    path = os.environ.get("BPCHECK") or shutil.which("bpcheck")
    if not path:
        raise BPCheckError("bpcheck executable not found: set BPCHECK to its path or put it on PATH "
                           "(in the repository: swift build -c release, then .build/release/bpcheck)")
    return path


def export(module, inputs, path: str) -> None:
    """`module` to ONNX at `path` as bpcheck reads it best: the legacy exporter with batch norm
    kept (not folded into the convolutions: a folded network is another network at every
    precision), a dynamic batch, eval mode during the export and the module's own mode restored
    afterwards."""
    import torch

    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            torch.onnx.export(module, (inputs,), path, dynamo=False, input_names=["x"], output_names=["out"],
                              dynamic_axes={"x": {0: "N"}}, training=torch.onnx.TrainingMode.PRESERVE,
                              do_constant_folding=False)
    finally:
        module.train(was_training)


def _as_numpy(t) -> np.ndarray:
    if hasattr(t, "detach"):
        t = t.detach().cpu().numpy()
    return np.asarray(t)


def _option(key: str, value: Any) -> list:
    flag = "--" + key.replace("_", "-")
    if isinstance(value, bool):
        return [flag] if value else []
    if isinstance(value, (list, tuple)):
        value = ",".join(str(v) for v in value)
    return [flag, str(value)]


def analyze(module, inputs, targets, loss: str = "cross_entropy", precisions: Iterable[str] = ("f16", "bf16", "f32", "f64"),
            report_dir: Optional[str] = None, **options) -> Report:
    """Analyses `module` on the batch (`inputs`, `targets`): cross-entropy takes integer class
    labels (converted to int64), mse real targets of the output's shape. `options` are bpcheck's
    command-line options by name (`relu_prime=1`, `batch_size=16`, `reference="mpfr:512"`, …).
    The report (Markdown, JSON, figures) goes to `report_dir` (default: a temporary directory,
    kept: `Report.report_path`).
    Raises `BPCheckError` with bpcheck's message when it refuses the model (an op it does not
    import, a shape that does not fit, …)."""
    if loss not in ("cross_entropy", "mse"):
        raise ValueError(f"loss must be 'cross_entropy' or 'mse', not {loss!r}")
    work = report_dir or tempfile.mkdtemp(prefix="bpcheck-")
    os.makedirs(work, exist_ok=True)
    model_path, data_path = os.path.join(work, "model.onnx"), os.path.join(work, "batch.npz")
    export(module, inputs, model_path)
    x = _as_numpy(inputs).astype(np.float32)
    y = _as_numpy(targets)
    y = y.astype(np.int64) if loss == "cross_entropy" else y.astype(np.float32)
    np.savez(data_path, x=x, y=y)
    report_path = os.path.join(work, "report.md")
    command = [_executable(), model_path, "--data", data_path, "--loss", loss, "--precisions", ",".join(precisions),
               "--report", report_path]
    for key, value in options.items():
        command += _option(key, value)
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode not in (0, 1):
        raise BPCheckError(done.stderr.strip() or f"bpcheck exited with {done.returncode}")
    json_path = os.path.join(work, "report.json")
    with open(json_path) as f:
        j = json.load(f)
    summary = [line for line in done.stdout.splitlines() if not line.startswith("report: ")]
    return Report.from_json(j, summary, report_path, json_path)


def assert_robust(module, inputs, targets, precision: str = "f32", kink_error: float = 1e-6, **options) -> Report:
    """Asserts that at `precision` the gradient error the kinks cause (‖g_P − g_P|R‖/‖g_R‖, the
    report's kink-caused error) is at most `kink_error`. Raises `AssertionError` whose message is
    the report's summary for that precision (pytest shows it); returns the report otherwise."""
    report = analyze(module, inputs, targets, precisions=(precision,), **options)
    r = report[precision]
    kink = r.error.kink if r.error.kink is not None else (0.0 if not r.error.absolute.get("kink") else float("inf"))
    if kink > kink_error:
        sites = ", ".join(f"{k} {v}" for k, v in r.sites.items() if v)
        lines = [f"backprop at {precision} is not robust: kink-caused gradient error {kink:.3g} > {kink_error:g}",
                 f"  rounding error {r.error.rounding if r.error.rounding is not None else float('nan'):.3g}; sites: {sites or 'none'}",
                 *[f"  {line}" for line in report.summary],
                 f"  report: {report.report_path}"]
        raise AssertionError("\n".join(lines))
    return report
