import Foundation
import ZIPFoundation

/// NumPy's `.npy` format (versions 1, 2, 3): the magic `\x93NUMPY`, a version, a header length
/// (2 bytes in version 1, 4 after), a Python dict literal `{'descr': '<f4', 'fortran_order':
/// False, 'shape': (3, 4), }`, then the raw data. And `.npz`: a zip of `.npy` members, stored
/// or deflated.
///
/// Accepted: `<f2 <f4 <f8 <i8 <i4`, C order. Everything is checked before anything is
/// allocated; a member of an archive may not inflate to more than `maxInflationRatio` times
/// its compressed size (deflate cannot exceed ~1032:1, so only a forged size can).
public enum NumpyFile {
    public static let maxInflationRatio: UInt64 = 1100

    /// Reads one `.npy` held in `bytes`.
    public static func readNPY(_ bytes: [UInt8], file: String, member: String? = nil) throws -> HostTensor {
        let header = try npyHeader(bytes, size: bytes.count, file: file, member: member)
        do {
            return try HostTensor(dtype: header.dtype, shape: header.shape, bytes: Array(bytes[header.dataStart...]))
        } catch let e as HostTensorError {
            throw TensorFileError(file: file, tensor: member, message: e.message)
        }
    }

    /// The header of an `.npy` of `size` bytes whose first bytes are `bytes` (at least the
    /// header): its dtype, shape and where the data starts; checked as `readNPY` checks it,
    /// including that the data fills the rest of the `size` bytes exactly.
    public static func npyHeader(_ bytes: [UInt8], size: Int, file: String, member: String? = nil) throws -> (dtype: DType, shape: [Int], dataStart: Int) {
        func fail(_ m: String) -> TensorFileError { TensorFileError(file: file, tensor: member, message: m) }
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
        guard bytes.count >= 10 else { throw fail("truncated: \(bytes.count) bytes is too short for an .npy header") }
        guard Array(bytes[0..<6]) == magic else { throw fail("not an .npy file (wrong magic: expected \\x93NUMPY)") }
        let major = bytes[6]
        let headerLength: Int, headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw fail("truncated: \(bytes.count) bytes is too short for a version \(major) header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw fail("unsupported .npy version \(major).\(bytes[7]) (supported: 1, 2, 3)")
        }
        guard headerStart + headerLength <= bytes.count else {
            throw fail("the header length \(headerLength) runs past the end of the file (\(bytes.count) bytes)")
        }
        let headerBytes = Array(bytes[headerStart..<(headerStart + headerLength)])
        guard StrictJSONReader.firstInvalidUTF8(headerBytes) == nil else { throw fail("the header is not valid text") }
        let header = try PythonDictLiteral.parse(String(decoding: headerBytes, as: UTF8.self), fail: fail)
        for key in header.keys where !["descr", "fortran_order", "shape"].contains(key) {
            throw fail("unknown header key '\(key)'")
        }
        guard case .string(let descr)? = header["descr"] else { throw fail("the header has no 'descr' string") }
        guard let dtype = DType.allCases.first(where: { $0.numpyDescr == descr }) else {
            throw fail("unsupported dtype '\(descr)' (supported: <f2 <f4 <f8 <i8 <i4, little-endian)")
        }
        guard case .bool(let fortran)? = header["fortran_order"] else { throw fail("the header has no 'fortran_order' boolean") }
        guard !fortran else { throw fail("Fortran-order arrays are not supported: save a C-order array (np.ascontiguousarray)") }
        guard case .tuple(let shape)? = header["shape"] else { throw fail("the header has no 'shape' tuple") }
        guard let count = HostTensor.elementCount(shape), case (let needed, false) = count.multipliedReportingOverflow(by: dtype.byteSize) else {
            throw fail("the shape \(shape) has more elements than can be addressed")
        }
        let dataStart = headerStart + headerLength
        guard needed == size - dataStart else {
            throw fail("shape \(shape) of \(descr) needs \(needed) data bytes, the file holds \(size - dataStart)")
        }
        return (dtype, shape, dataStart)
    }

    /// Writes a version-1 `.npy` (bfloat16 has no NumPy type and cannot be written).
    public static func writeNPY(_ t: HostTensor) -> [UInt8] {
        let shape = t.shape.count == 1 ? "(\(t.shape[0]),)" : "(" + t.shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(t.dtype.numpyDescr!)', 'fortran_order': False, 'shape': \(shape), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var out: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0]
        out += [UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)]
        out += Array(header.utf8)
        return out + t.bytes
    }

    /// Reads the members of an `.npz` held in `bytes` (each `name.npy` becomes `name`).
    ///
    /// The bytes go through a temporary file: ZIPFoundation's in-memory archives trap on some
    /// malformed inputs (a read past the end of the data), its file-backed ones report errors.
    public static func readNPZ(_ bytes: [UInt8], file: String) throws -> [String: HostTensor] {
        let temporary = FileManager.default.temporaryDirectory
            .appendingPathComponent("bpcheck-\(getpid())-\(UUID().uuidString).npz")
        guard FileManager.default.createFile(atPath: temporary.path, contents: Data(bytes)) else {
            throw TensorFileError(file: file, message: "cannot write a temporary copy to read the archive")
        }
        defer { try? FileManager.default.removeItem(at: temporary) }
        return try readNPZ(url: temporary, file: file)
    }

    /// Reads the members of the `.npz` file at `url`; `file` names it in errors.
    public static func readNPZ(url: URL, file: String) throws -> [String: HostTensor] {
        func fail(_ m: String, _ member: String? = nil) -> TensorFileError { TensorFileError(file: file, tensor: member, message: m) }
        let fileSize = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        guard let handle = FileHandle(forReadingAtPath: url.path) else { throw fail("cannot be read") }
        let head = handle.readData(ofLength: 2)
        try? handle.close()
        guard fileSize >= 22, head == Data([0x50, 0x4B]) else { throw fail("not an .npz file (not a zip archive)") }
        let archive: Archive
        do {
            archive = try Archive(url: url, accessMode: .read)
        } catch {
            throw fail("not a readable zip archive (\(error))")
        }
        var members: [String: HostTensor] = [:]
        for entry in archive where entry.type == .file {
            let path = entry.path
            guard path.hasSuffix(".npy") else { throw fail("member '\(path)' is not an .npy file") }
            let name = String(path.dropLast(4))
            guard members[name] == nil else { throw fail("member '\(path)' appears twice", name) }
            let declared = entry.uncompressedSize
            guard declared <= UInt64(fileSize) * maxInflationRatio + 4096 else {
                throw fail("declares \(declared) uncompressed bytes, more than deflate can produce from a \(fileSize)-byte file", name)
            }
            var data = [UInt8]()
            data.reserveCapacity(Int(declared))
            do {
                _ = try archive.extract(entry, skipCRC32: false) { chunk in
                    guard UInt64(data.count + chunk.count) <= declared else { throw TensorFileError(file: file, tensor: name, message: "inflates past its declared size") }
                    data += chunk
                }
            } catch let e as TensorFileError {
                throw e
            } catch {
                throw fail("cannot be extracted (\(error))", name)
            }
            guard UInt64(data.count) == declared else { throw fail("inflates to \(data.count) bytes, not the \(declared) declared", name) }
            members[name] = try readNPY(data, file: file, member: name)
        }
        return members
    }

    /// Writes an `.npz` (deflated when `compressed`).
    public static func writeNPZ(_ members: [String: HostTensor], compressed: Bool) throws -> [UInt8] {
        let archive = try Archive(data: Data(), accessMode: .create)
        for name in members.keys.sorted() {
            let data = Data(writeNPY(members[name]!))
            try archive.addEntry(with: name + ".npy", type: .file, uncompressedSize: Int64(data.count),
                                 modificationDate: Date(timeIntervalSince1970: 315_532_800),
                                 compressionMethod: compressed ? .deflate : .none) { position, size in
                data.subdata(in: Int(position)..<(Int(position) + size))
            }
        }
        return [UInt8](archive.data!)
    }
}

/// The subset of Python literals an `.npy` header uses: a dict of string keys to strings,
/// booleans and tuples of integers.
enum PythonDictLiteral {
    enum Value: Equatable {
        case string(String), bool(Bool), tuple([Int])
    }

    static func parse(_ text: String, fail: (String) -> TensorFileError) throws -> [String: Value] {
        let chars = Array(text.unicodeScalars)
        var i = 0
        func skip() { while i < chars.count, chars[i] == " " || chars[i] == "\n" || chars[i] == "\t" { i += 1 } }
        func expect(_ c: Unicode.Scalar) throws {
            skip()
            guard i < chars.count, chars[i] == c else { throw fail("malformed header: expected '\(c)'") }
            i += 1
        }
        func string() throws -> String {
            skip()
            guard i < chars.count, chars[i] == "'" || chars[i] == "\"" else { throw fail("malformed header: expected a quoted string") }
            let quote = chars[i]
            i += 1
            var s = ""
            while i < chars.count, chars[i] != quote { s.unicodeScalars.append(chars[i]); i += 1 }
            guard i < chars.count else { throw fail("malformed header: unterminated string") }
            i += 1
            return s
        }
        func integer() throws -> Int {
            skip()
            let start = i
            while i < chars.count, chars[i].properties.numericType != nil, chars[i].isASCII { i += 1 }
            guard i > start, i - start <= 18, let v = Int(String(String.UnicodeScalarView(chars[start..<i]))) else {
                throw fail("malformed header: a shape entry is not a non-negative integer")
            }
            return v
        }
        func value() throws -> Value {
            skip()
            guard i < chars.count else { throw fail("malformed header: unexpected end") }
            if chars[i] == "'" || chars[i] == "\"" { return .string(try string()) }
            if text.unicodeScalars.dropFirst(i).starts(with: "True".unicodeScalars) { i += 4; return .bool(true) }
            if text.unicodeScalars.dropFirst(i).starts(with: "False".unicodeScalars) { i += 5; return .bool(false) }
            if chars[i] == "(" {
                i += 1
                var items: [Int] = []
                while true {
                    skip()
                    if i < chars.count, chars[i] == ")" { i += 1; return .tuple(items) }
                    guard items.count < 64 else { throw fail("malformed header: more than 64 dimensions") }
                    items.append(try integer())
                    skip()
                    if i < chars.count, chars[i] == "," { i += 1; continue }
                    try expect(")")
                    return .tuple(items)
                }
            }
            throw fail("malformed header: unsupported value")
        }
        var dict: [String: Value] = [:]
        try expect("{")
        while true {
            skip()
            if i < chars.count, chars[i] == "}" { i += 1; break }
            let key = try string()
            try expect(":")
            guard dict[key] == nil else { throw fail("malformed header: duplicate key '\(key)'") }
            dict[key] = try value()
            skip()
            if i < chars.count, chars[i] == "," { i += 1; continue }
            try expect("}")
            break
        }
        skip()
        guard i == chars.count else { throw fail("malformed header: content after the dict") }
        return dict
    }
}
