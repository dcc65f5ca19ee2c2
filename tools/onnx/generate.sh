#!/usr/bin/env bash
# Regenerates Sources/ModelIO/ONNX/onnx.pb.swift from onnx/onnx.proto of the onnx==1.23.2 wheel.
#
#   tools/onnx/generate.sh
#
# Needs: protoc (apt package protobuf-compiler, installed when missing), python3 -m venv, and
# swift-protobuf 1.39.0 (the plugin protoc-gen-swift is built from it in .build-protoc, a
# throwaway package beside the sources; the bpcheck build itself needs only the runtime).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SWIFT="${SWIFT:-$(command -v swift || echo /opt/swift/usr/bin/swift)}"
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo

if ! command -v protoc >/dev/null; then
  echo "installing protobuf-compiler"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq protobuf-compiler >/dev/null
fi

# onnx.proto from the wheel, in .venv-onnx.
VENV="$ROOT/.venv-onnx"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -c 'import onnx, sys; sys.exit(onnx.__version__ != "1.23.2")' 2>/dev/null \
  || "$VENV/bin/pip" install -q "onnx==1.23.2"
PROTO_DIR="$("$VENV/bin/python" -c 'import onnx, os; print(os.path.dirname(onnx.__file__))')"
[ -f "$PROTO_DIR/onnx.proto" ] || { echo "no onnx.proto in $PROTO_DIR" >&2; exit 1; }

# protoc-gen-swift from swift-protobuf 1.39.0, through a tiny package that depends on it.
PLUGIN_PKG="$ROOT/.build-protoc"
mkdir -p "$PLUGIN_PKG/Sources/Dummy"
cat > "$PLUGIN_PKG/Package.swift" <<'SWIFT'
// swift-tools-version:6.0
import PackageDescription
let package = Package(
    name: "protoc-plugin",
    dependencies: [.package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0")],
    targets: [.target(name: "Dummy", dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")])]
)
SWIFT
echo "// placeholder" > "$PLUGIN_PKG/Sources/Dummy/Dummy.swift"
"$SWIFT" build -c release --package-path "$PLUGIN_PKG" --product protoc-gen-swift
PLUGIN="$("$SWIFT" build -c release --package-path "$PLUGIN_PKG" --show-bin-path)/protoc-gen-swift"

OUT="$ROOT/Sources/ModelIO/ONNX"
mkdir -p "$OUT"
protoc --plugin=protoc-gen-swift="$PLUGIN" \
  --swift_opt=Visibility=Internal \
  --swift_out="$OUT" \
  --proto_path="$PROTO_DIR" "$PROTO_DIR/onnx.proto"
echo "wrote $OUT/onnx.pb.swift ($(wc -c < "$OUT/onnx.pb.swift") bytes; protoc $(protoc --version | cut -d' ' -f2))"
