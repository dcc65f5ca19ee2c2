"""The JSON report (`bpcheck-report/1`, docs/report-schema.md) as typed dataclasses, with the
JSON's names."""
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional


def _num(v: Any) -> Optional[float]:
    """A JSON number, or the strings bpcheck writes for non-finite values."""
    if v is None:
        return None
    if isinstance(v, str):
        return {"inf": float("inf"), "-inf": float("-inf"), "nan": float("nan")}[v]
    return float(v)


@dataclass
class Errors:
    """Relative L2 errors against the reference's gradient (None where ‖g_R‖ = 0)."""
    total: Optional[float]
    kink: Optional[float]
    rounding: Optional[float]
    absolute: Dict[str, Optional[float]]

    @staticmethod
    def from_json(j: Dict[str, Any]) -> "Errors":
        return Errors(_num(j["total"]), _num(j["kink"]), _num(j["rounding"]),
                      {k: _num(v) for k, v in j.get("absolute", {}).items()})


@dataclass
class PrecisionReport:
    """One precision's numbers over every batch."""
    precision: str
    flagged: bool
    flagged_batches: int
    sites: Dict[str, int]
    site_count: int
    samples_affected: int
    bifurcation: Dict[str, Any]
    reference_bifurcation: Dict[str, Any]
    error: Errors
    layers: Dict[str, Any]
    raw: Dict[str, Any] = field(repr=False)

    @staticmethod
    def from_json(name: str, j: Dict[str, Any]) -> "PrecisionReport":
        return PrecisionReport(name, bool(j["flagged"]), int(j["flagged_batches"]), dict(j["sites"]), int(j["site_count"]),
                               int(j["samples_affected"]), dict(j["bifurcation"]), dict(j["reference_bifurcation"]),
                               Errors.from_json(j["error"]), dict(j.get("layers", {})), j)


@dataclass
class Report:
    """The whole report: `precisions` by name ("f16", "f32", …), `summary` the verdict lines the
    command printed, `report_path` the Markdown report, `json_path` this report's file."""
    schema: str
    model: str
    batches: int
    command: str
    precisions: Dict[str, PrecisionReport]
    summary: List[str]
    report_path: str
    json_path: str
    raw: Dict[str, Any] = field(repr=False)

    def __getitem__(self, precision: str) -> PrecisionReport:
        return self.precisions[precision]

    @staticmethod
    def from_json(j: Dict[str, Any], summary: List[str], report_path: str, json_path: str) -> "Report":
        return Report(j["schema"], j["model"], int(j["batches"]), j["command"],
                      {p: PrecisionReport.from_json(p, v) for p, v in j["precisions"].items()},
                      summary, report_path, json_path, j)
