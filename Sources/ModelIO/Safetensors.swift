/// The safetensors format (as the `safetensors` library writes it): an 8-byte little-endian
/// header length `N`, `N` bytes of JSON — `{name: {"dtype", "shape", "data_offsets": [begin,
/// end]}, "__metadata__": {string: string}}` — then the tensors' raw little-endian bytes, with
/// offsets relative to the end of the header.
///
/// The reader checks everything before it allocates: the header fits the file, every shape's
/// product fits `Int` and matches its byte range, ranges lie inside the data and tile it in
/// order without overlap or gap (as the reference implementation requires). Nothing is
/// allocated beyond the file's own size.
public enum Safetensors {
    /// The largest header accepted (the reference implementation's limit).
    public static let maxHeaderBytes = 100_000_000

    /// Reads every tensor of a safetensors file held in `bytes`; `file` names it in errors.
    public static func read(_ bytes: [UInt8], file: String) throws -> (tensors: [String: HostTensor], metadata: [String: String]) {
        func fail(_ message: String, _ tensor: String? = nil) -> TensorFileError { TensorFileError(file: file, tensor: tensor, message: message) }
        guard bytes.count >= 8 else {
            throw fail("truncated: \(bytes.count) bytes, but a safetensors file starts with an 8-byte header length")
        }
        var n: UInt64 = 0
        for k in 0..<8 { n |= UInt64(bytes[k]) << (8 * k) }
        guard n <= UInt64(bytes.count - 8) else {
            throw fail("the header length \(n) runs past the end of the file (\(bytes.count) bytes)")
        }
        guard n <= UInt64(maxHeaderBytes) else { throw fail("the header length \(n) exceeds the limit of \(maxHeaderBytes) bytes") }
        let headerEnd = 8 + Int(n)
        let header: JSONValue
        do {
            header = try StrictJSONReader.parse(Array(bytes[8..<headerEnd]))
        } catch let e as JSONSyntaxError {
            throw fail("the header is not valid JSON (\(e))")
        }
        guard case .object(let entries) = header else { throw fail("the header must be a JSON object, found \(header.kind)") }
        let dataLength = bytes.count - headerEnd
        var metadata: [String: String] = [:]
        var ranges: [(name: String, begin: Int, end: Int, dtype: DType, shape: [Int])] = []
        for (name, value) in entries {
            if name == "__metadata__" {
                guard case .object(let pairs) = value else { throw fail("__metadata__ must be an object of strings") }
                for (k, v) in pairs {
                    guard case .string(let s) = v else { throw fail("__metadata__ value of '\(k)' must be a string, found \(v.kind)") }
                    metadata[k] = s
                }
                continue
            }
            guard case .object(let fields) = value else { throw fail("the entry must be an object, found \(value.kind)", name) }
            for (k, _) in fields where !["dtype", "shape", "data_offsets"].contains(k) {
                throw fail("unknown key '\(k)' (expected dtype, shape, data_offsets)", name)
            }
            guard case .string(let dtypeName)? = value["dtype"] else { throw fail("missing or non-string 'dtype'", name) }
            guard let dtype = DType(safetensorsName: dtypeName) else {
                throw fail("unsupported dtype '\(dtypeName)' (supported: F16, BF16, F32, F64, I64, I32)", name)
            }
            guard case .array(let dims)? = value["shape"] else { throw fail("missing or non-array 'shape'", name) }
            let shape = try dims.map { d -> Int in
                guard case .number(let t) = d, let v = Int(t), v >= 0 else { throw fail("shape entries must be non-negative integers, found \(d)", name) }
                return v
            }
            guard case .array(let offsets)? = value["data_offsets"], offsets.count == 2,
                  case .number(let b) = offsets[0], case .number(let e) = offsets[1],
                  let begin = Int(b), let end = Int(e), begin >= 0, end >= begin else {
                throw fail("'data_offsets' must be [begin, end] with 0 ≤ begin ≤ end", name)
            }
            guard end <= dataLength else {
                throw fail("data_offsets [\(begin), \(end)] run past the end of the data (\(dataLength) bytes)", name)
            }
            guard let count = HostTensor.elementCount(shape), case (let bytesNeeded, false) = count.multipliedReportingOverflow(by: dtype.byteSize) else {
                throw fail("the shape \(shape) has more elements than can be addressed", name)
            }
            guard bytesNeeded == end - begin else {
                throw fail("shape \(shape) of \(dtype.safetensorsName) needs \(bytesNeeded) bytes, but data_offsets [\(begin), \(end)] hold \(end - begin)", name)
            }
            ranges.append((name, begin, end, dtype, shape))
        }
        ranges.sort { $0.begin != $1.begin ? $0.begin < $1.begin : $0.end < $1.end }
        var expected = 0
        for r in ranges {
            if r.begin < expected { throw fail("data_offsets [\(r.begin), \(r.end)] overlap another tensor's", r.name) }
            if r.begin > expected { throw fail("bytes \(expected)..<\(r.begin) of the data belong to no tensor", r.name) }
            expected = r.end
        }
        if expected != dataLength { throw fail("bytes \(expected)..<\(dataLength) of the data belong to no tensor") }
        var tensors: [String: HostTensor] = [:]
        for r in ranges {
            do {
                tensors[r.name] = try HostTensor(dtype: r.dtype, shape: r.shape, bytes: Array(bytes[(headerEnd + r.begin)..<(headerEnd + r.end)]))
            } catch let e as HostTensorError {
                throw TensorFileError(file: file, tensor: r.name, message: e.message)
            }
        }
        return (tensors, metadata)
    }

    /// Writes `tensors` (sorted by name, data in that order, header padded with spaces to a
    /// multiple of 8 bytes as the reference implementation does).
    public static func write(_ tensors: [String: HostTensor], metadata: [String: String] = [:]) -> [UInt8] {
        var entries: [(String, JSONValue)] = []
        if !metadata.isEmpty {
            entries.append(("__metadata__", .object(metadata.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })))
        }
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            let t = tensors[name]!
            entries.append((name, .object([
                ("dtype", .string(t.dtype.safetensorsName)),
                ("shape", .array(t.shape.map { .number(String($0)) })),
                ("data_offsets", .array([.number(String(offset)), .number(String(offset + t.bytes.count))])),
            ])))
            offset += t.bytes.count
        }
        var header = Array(JSONWriter.write(.object(entries), pretty: false).utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var out = [UInt8]()
        out.reserveCapacity(8 + header.count + offset)
        HostTensor.append(UInt64(header.count), 8, &out)
        out += header
        for name in names { out += tensors[name]!.bytes }
        return out
    }
}
