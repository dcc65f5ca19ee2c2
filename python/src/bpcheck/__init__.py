"""Run bpcheck on a torch.nn.Module: export it to ONNX the right way, analyse a batch at several
floating-point precisions against bpcheck's certified reference, and read the report.

    import bpcheck
    result = bpcheck.analyze(model, x, y)                  # a Report (the JSON report's names)
    bpcheck.assert_robust(model, x, y, precision="f32")    # AssertionError with the summary

The `bpcheck` executable comes from the environment variable BPCHECK or from PATH.
"""
from .report import Errors, PrecisionReport, Report
from .run import BPCheckError, analyze, assert_robust, export

__all__ = ["analyze", "assert_robust", "export", "Report", "PrecisionReport", "Errors", "BPCheckError"]
