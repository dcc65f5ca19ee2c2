#!/usr/bin/env bash
# The README's "From PyTorch" section, run as written (make test-pytorch):
#   1. its first ```python block and first ```text block, taken from README.md as they are;
#   2. prelude.py (a small seeded CNN `model`, a float32 batch `x` [8,1,12,12], int64 labels `y`),
#      then the python block verbatim, then epilogue.py (torch's float64 loss and gradients) in a
#      temporary directory;
#   3. each command line of the text block there, its `# comment` cut and its leading `bpcheck`
#      replaced by $BPCHECK;
#   4. exit code 0, the JSON report written, and bpcheck's f64 gradient equal to torch's float64
#      autograd to 1e-12 (relative L2 per parameter, as ONNXParityTests).
# The report (schema bpcheck-report/1) carries no loss value, so the check is on the gradient:
# `--save-gradients grads` is appended to each command (the README's command writes the report
# itself, reports/model.md and .json) and grads/f64/g_P.safetensors is read.
#
#   BPCHECK  the binary (default .build/release/bpcheck, relative to the repository root)
#   VENV     a Python venv with torch, numpy and onnx (the legacy exporter imports onnx); default
#            .venv-readme, created when missing with torch 2.13.0+cpu from the wheel on disk
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../../../.." && pwd)"
cd "$ROOT"
absolute() { case "$1" in /*) echo "$1" ;; *) echo "$ROOT/$1" ;; esac; }
BPCHECK="$(absolute "${BPCHECK:-.build/release/bpcheck}")"
VENV="$(absolute "${VENV:-.venv-readme}")"
TORCH_WHEEL=/opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl
TOLERANCE=1e-12
fail() { echo "readme-pytorch: FAIL: $*" >&2; exit 1; }

[ -x "$BPCHECK" ] || fail "no bpcheck at $BPCHECK (swift build -c release --product bpcheck, or set BPCHECK)"
PY="$VENV/bin/python"
if ! { [ -x "$PY" ] && "$PY" -c "import torch, numpy, onnx" 2>/dev/null; }; then
    [ -f "$TORCH_WHEEL" ] || fail "torch 2.13.0+cpu wheel missing: $TORCH_WHEEL (or set VENV to a venv with torch, numpy, onnx)"
    echo "readme-pytorch: setting up $VENV (torch 2.13.0+cpu from $TORCH_WHEEL, numpy, onnx 1.23.2)"
    [ -x "$PY" ] || python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q "$TORCH_WHEEL" numpy onnx==1.23.2
fi
"$PY" -c "import torch, numpy, onnx; print('readme-pytorch: torch', torch.__version__, 'numpy', numpy.__version__, 'onnx', onnx.__version__)"

# The section between "## From PyTorch" and the next "## " heading; its first fence of a language.
block() {
    awk -v fence='```'"$1" '
        /^## From PyTorch[[:space:]]*$/ { section = 1; next }
        section && /^## / { exit }
        section && !inside && $0 == fence { inside = 1; next }
        inside && /^```/ { exit }
        inside { print }' README.md
}

WORK="$(mktemp -d "${TMPDIR:-/tmp}/readme-pytorch.XXXXXX")"
trap 'rc=$?; if [ $rc = 0 ]; then rm -rf "$WORK"; else echo "readme-pytorch: files kept in $WORK" >&2; fi' EXIT
block python > "$WORK/readme.py"
block text > "$WORK/readme.txt"
[ -s "$WORK/readme.py" ] || fail "README.md: no \`\`\`python block under ## From PyTorch"
[ -s "$WORK/readme.txt" ] || fail "README.md: no \`\`\`text block under ## From PyTorch"
cat "$HERE/prelude.py" "$WORK/readme.py" "$HERE/epilogue.py" > "$WORK/program.py"

cd "$WORK"
"$PY" -W ignore program.py || fail "the README's python block (with prelude.py and epilogue.py) exited $?"
[ -f expected.json ] || fail "epilogue.py wrote no expected.json"

commands=0
while IFS= read -r line || [ -n "$line" ]; do
    command="$(printf '%s' "$line" | sed -e 's/[[:space:]]*#.*$//' -e 's/[[:space:]]*$//')"
    [ -n "$command" ] || continue
    case "$command" in
        bpcheck|bpcheck[[:space:]]*) ;;
        *) fail "README text block: a line that is not a bpcheck command: $line" ;;
    esac
    commands=$((commands + 1))
    rm -rf reports grads
    echo "readme-pytorch: \$ $command --save-gradients grads"
    status=0
    eval "\"\$BPCHECK\"${command#bpcheck} --save-gradients grads" </dev/null || status=$?
    [ "$status" = 0 ] || fail "exit code $status from: $command"
    "$PY" - "$TOLERANCE" <<'CHECK' || fail "bpcheck's f64 gradient differs from torch's (above) for: $command"
import glob, json, struct, sys

import numpy

tolerance = float(sys.argv[1])
reports = glob.glob("reports/*.json")
if len(reports) != 1:
    sys.exit(f"expected one JSON report in reports/, found {reports}")
report = json.load(open(reports[0]))
if report.get("schema") != "bpcheck-report/1" or "f64" not in report.get("precisions", {}):
    sys.exit(f"{reports[0]}: not a bpcheck-report/1 with an f64 precision")

raw = open("grads/f64/g_P.safetensors", "rb").read()
size = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + size])
expected = json.load(open("expected.json"))
print(f"readme-pytorch: torch f64 loss {expected['loss_f64']!r} (the report carries no loss)")
worst, bad = 0.0, []
for name, want in expected["gradients"].items():
    if name not in header:
        bad.append(f"{name}: not in bpcheck's gradients ({sorted(k for k in header if k != '__metadata__')})")
        continue
    entry = header[name]
    begin, end = entry["data_offsets"]
    if entry["dtype"] != "F64" or entry["shape"] != want["shape"]:
        bad.append(f"{name}: {entry['dtype']} {entry['shape']}, torch's {want['shape']}")
        continue
    got = numpy.frombuffer(raw[8 + size + begin:8 + size + end], dtype="<f8")
    ref = numpy.array(want["values"], dtype=numpy.float64)
    error = numpy.linalg.norm(got - ref) / numpy.linalg.norm(ref)
    print(f"readme-pytorch:   {name:14s} ‖bpcheck − torch‖/‖torch‖ = {error:.3e}   ‖torch‖ = {numpy.linalg.norm(ref):.17g}")
    worst = max(worst, error)
    if not error <= tolerance:
        bad.append(f"{name}: relative error {error:.3e} > {tolerance:g}")
if bad:
    sys.exit("\n".join(bad))
print(f"readme-pytorch: worst relative gradient error {worst:.3e} <= {tolerance:g}")
CHECK
done < readme.txt
[ "$commands" -gt 0 ] || fail "README text block: no bpcheck command"
echo "readme-pytorch: passed ($commands command(s) of the README)"
