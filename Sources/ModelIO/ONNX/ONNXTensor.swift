import AD
import Foundation

/// ONNX `TensorProto` → `HostTensor`: `raw_data` (little-endian), the typed fields
/// (`float_data`, `double_data`, `int64_data`, `int32_data`, which also holds FLOAT16 and
/// BFLOAT16 bit patterns) and external data (`data_location = EXTERNAL`: keys `location`,
/// `offset`, `length`, the file relative to the model's directory).
struct ONNXTensorDecoder {
    let file: String
    let directory: URL
    /// External data files already read, by location.
    private var external: [String: [UInt8]] = [:]

    init(file: String, directory: URL) {
        self.file = file
        self.directory = directory
    }

    /// The ONNX `DataType` codes bpcheck reads, as its dtypes.
    static func dtype(_ code: Int32) -> DType? {
        switch code {
        case 1: .f32
        case 10: .f16
        case 11: .f64
        case 16: .bf16
        case 7: .i64
        case 6: .i32
        default: nil
        }
    }

    static func typeName(_ code: Int32) -> String {
        Onnx_TensorProto.DataType(rawValue: Int(code)).map { "\($0)".uppercased() } ?? "\(code)"
    }

    func fail(_ message: String, node: String?, key: String) -> ModelError {
        ModelError(file: file, node: node, key: key, message: message)
    }

    /// The tensor `t`; errors name `node` (nil for an initializer) and `key`.
    mutating func decode(_ t: Onnx_TensorProto, node: String?, key: String) throws -> HostTensor {
        let label = t.name.isEmpty ? "the tensor" : "tensor '\(t.name)'"
        guard let dtype = Self.dtype(t.dataType) else {
            throw fail("\(label) has data type \(Self.typeName(t.dataType)) (supported: FLOAT, DOUBLE, FLOAT16, BFLOAT16, INT64, INT32)", node: node, key: key)
        }
        guard !t.hasSegment else { throw fail("\(label) is segmented (not supported)", node: node, key: key) }
        var shape: [Int] = []
        for d in t.dims {
            guard d >= 0, d <= Int64(Graph.maxElements) else { throw fail("\(label) has dimension \(d)", node: node, key: key) }
            shape.append(Int(d))
        }
        guard let count = HostTensor.elementCount(shape), count <= Graph.maxElements else {
            throw fail("\(label) of shape \(shape) has more elements than can be addressed", node: node, key: key)
        }
        let byteCount = count * dtype.byteSize

        if t.dataLocation == .external {
            let bytes = try externalBytes(t, label: label, byteCount: byteCount, node: node, key: key)
            return try HostTensor(dtype: dtype, shape: shape, bytes: bytes)
        }
        if t.hasRawData {
            guard t.rawData.count == byteCount else {
                throw fail("\(label): shape \(shape) of \(dtype) needs \(byteCount) bytes, raw_data holds \(t.rawData.count)", node: node, key: key)
            }
            return try HostTensor(dtype: dtype, shape: shape, bytes: [UInt8](t.rawData))
        }
        func check(_ n: Int, _ field: String) throws {
            guard n == count else { throw fail("\(label): shape \(shape) needs \(count) values, \(field) holds \(n)", node: node, key: key) }
        }
        var out = [UInt8]()
        out.reserveCapacity(byteCount)
        switch dtype {
        case .f32:
            try check(t.floatData.count, "float_data")
            for v in t.floatData { HostTensor.append(UInt64(v.bitPattern), 4, &out) }
        case .f64:
            try check(t.doubleData.count, "double_data")
            for v in t.doubleData { HostTensor.append(v.bitPattern, 8, &out) }
        case .i64:
            try check(t.int64Data.count, "int64_data")
            for v in t.int64Data { HostTensor.append(UInt64(bitPattern: v), 8, &out) }
        case .i32:
            try check(t.int32Data.count, "int32_data")
            for v in t.int32Data { HostTensor.append(UInt64(UInt32(bitPattern: v)), 4, &out) }
        case .f16, .bf16:
            try check(t.int32Data.count, "int32_data")
            for v in t.int32Data { HostTensor.append(UInt64(UInt16(truncatingIfNeeded: v)), 2, &out) }
        }
        return try HostTensor(dtype: dtype, shape: shape, bytes: out)
    }

    private mutating func externalBytes(_ t: Onnx_TensorProto, label: String, byteCount: Int, node: String?, key: String) throws -> [UInt8] {
        var location: String?, offset = 0, length: Int?
        for entry in t.externalData {
            switch entry.key {
            case "location": location = entry.value
            case "offset":
                guard let o = Int(entry.value), o >= 0 else { throw fail("\(label): external data offset '\(entry.value)' is not a non-negative integer", node: node, key: key) }
                offset = o
            case "length":
                guard let l = Int(entry.value), l >= 0 else { throw fail("\(label): external data length '\(entry.value)' is not a non-negative integer", node: node, key: key) }
                length = l
            default: continue  // checksum and future keys
            }
        }
        guard let location, !location.isEmpty else { throw fail("\(label) has external data without a 'location'", node: node, key: key) }
        guard !location.hasPrefix("/"), !location.split(separator: "/").contains("..") else {
            throw fail("\(label): external data location '\(location)' must be a path inside the model's directory", node: node, key: key)
        }
        if external[location] == nil {
            let url = directory.appendingPathComponent(location)
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw fail("\(label): cannot read its external data file '\(location)' (looked for \(url.path))", node: node, key: key)
            }
            external[location] = [UInt8](data)
        }
        let bytes = external[location] ?? []
        let n = length ?? byteCount
        guard n == byteCount else { throw fail("\(label): external data length \(n) does not fit its \(byteCount) bytes", node: node, key: key) }
        guard offset <= bytes.count, n <= bytes.count - offset else {
            // No `offset + n` here: both come from the file, and their sum may not fit an Int.
            let end = offset.addingReportingOverflow(n)
            throw fail("\(label): external data \(offset)..<\(end.overflow ? "∞" : "\(end.partialValue)") lies past the end of '\(location)' (\(bytes.count) bytes)", node: node, key: key)
        }
        return Array(bytes[offset..<(offset + n)])
    }
}
