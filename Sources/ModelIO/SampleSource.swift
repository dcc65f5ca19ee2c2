import Foundation

/// Samples `[N, …]` read a range at a time: a tensor in memory, or an array in a file read on
/// demand (`MappedArray`), so that a task analysing some batches of a large data set holds only
/// those batches.
public protocol SampleSource: Sendable {
    var dtype: DType { get }
    /// The whole shape, samples first.
    var shape: [Int] { get }
    /// Samples `range` as a tensor.
    func samples(_ range: Range<Int>) throws -> HostTensor
}

extension HostTensor: SampleSource {}

extension SampleSource {
    /// Where samples `range` lie in the C-order bytes of this shape; an error naming the range
    /// when it is outside the samples.
    func byteRange(_ range: Range<Int>) throws -> Range<Int> {
        guard !shape.isEmpty, range.lowerBound >= 0, range.upperBound <= shape[0] else {
            throw HostTensorError(message: "samples \(range.lowerBound)..<\(range.upperBound) of a tensor of shape \(shape)")
        }
        let row = shape.dropFirst().reduce(1, *) * dtype.byteSize
        return (range.lowerBound * row)..<(range.upperBound * row)
    }
}

/// An `.npy` array inside a file (a whole `.npy`, or a stored member of an `.npz`), memory
/// mapped: `samples(_:)` copies the bytes of the samples asked for, and only their pages are
/// read from disk.
public struct MappedArray: SampleSource, @unchecked Sendable {
    public let dtype: DType
    public let shape: [Int]
    let data: Data
    let offset: Int
    let file: String
    let member: String?

    /// The array whose `.npy` bytes are `data[start..<start + size]`; the header is checked as
    /// `NumpyFile.readNPY` checks it.
    init(data: Data, start: Int, size: Int, file: String, member: String?) throws {
        let prefix = [UInt8](data[(data.startIndex + start)..<(data.startIndex + start + min(size, 1 << 16))])
        let header = try NumpyFile.npyHeader(prefix, size: size, file: file, member: member)
        guard !header.shape.isEmpty else {
            throw TensorFileError(file: file, tensor: member, message: "expected an array of samples [N, …], found a scalar")
        }
        dtype = header.dtype
        shape = header.shape
        self.data = data
        offset = start + header.dataStart
        self.file = file
        self.member = member
    }

    public func samples(_ range: Range<Int>) throws -> HostTensor {
        let bytes = try byteRange(range), base = data.startIndex + offset
        return try HostTensor(dtype: dtype, shape: [range.count] + shape.dropFirst(), bytes: [UInt8](data[(base + bytes.lowerBound)..<(base + bytes.upperBound)]))
    }
}

/// The members of an `.npz` that are stored (not deflated), by name, with where their `.npy`
/// bytes lie in the file — read from the zip's local file headers (with ZIP64 sizes, as NumPy
/// writes them). Nil when the archive holds a deflated member or anything this reader does not
/// follow (then the archive is read whole).
enum StoredNPZ {
    static func members(_ data: Data) -> [String: (start: Int, size: Int)]? {
        func u16(_ i: Int) -> Int? { i + 2 <= data.count ? Int(data[data.startIndex + i]) | Int(data[data.startIndex + i + 1]) << 8 : nil }
        func u32(_ i: Int) -> Int? { guard let a = u16(i), let b = u16(i + 2) else { return nil }; return a | b << 16 }
        func u64(_ i: Int) -> Int? { guard let a = u32(i), let b = u32(i + 4), b < 1 << 31 else { return nil }; return a | b << 32 }
        var out: [String: (start: Int, size: Int)] = [:]
        var at = 0
        while let signature = u32(at), signature == 0x0403_4B50 {
            guard let flags = u16(at + 6), let method = u16(at + 8), var compressed = u32(at + 18), var size = u32(at + 22),
                  let nameLength = u16(at + 26), let extraLength = u16(at + 28) else { return nil }
            guard method == 0, flags & 0x8 == 0 else { return nil }  // deflated, or sizes after the data
            let nameStart = data.startIndex + at + 30
            guard nameStart + nameLength <= data.endIndex, let name = String(bytes: data[nameStart..<(nameStart + nameLength)], encoding: .utf8) else { return nil }
            if size == 0xFFFF_FFFF || compressed == 0xFFFF_FFFF {
                // ZIP64: the sizes are in extra field 0x0001 (uncompressed, then compressed).
                var e = at + 30 + nameLength
                let end = e + extraLength
                var found = false
                while e + 4 <= end, let id = u16(e), let length = u16(e + 2) {
                    if id == 0x0001, let s = u64(e + 4), let c = u64(e + 12) { size = s; compressed = c; found = true; break }
                    e += 4 + length
                }
                guard found else { return nil }
            }
            guard compressed == size, name.hasSuffix(".npy") else { return nil }
            let start = at + 30 + nameLength + extraLength
            guard start + size <= data.count else { return nil }
            out[String(name.dropLast(4))] = (start, size)
            at = start + size
        }
        return out.isEmpty ? nil : out
    }
}
