import Precision

/// The element types model files may hold.
public enum DType: String, CaseIterable, Sendable, Codable {
    case f16, bf16, f32, f64, i64, i32

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .f16, .bf16: 2
        case .f32, .i32: 4
        case .f64, .i64: 8
        }
    }

    /// Whether the type is a floating-point format.
    public var isFloatingPoint: Bool { format != nil }

    /// The format of a floating-point type.
    public var format: FormatInfo? {
        switch self {
        case .f16: .binary16
        case .bf16: .bfloat16
        case .f32: .binary32
        case .f64: .binary64
        case .i64, .i32: nil
        }
    }

    /// The spelling in safetensors headers (`F16`, `BF16`, …).
    public var safetensorsName: String { rawValue.uppercased() }

    /// The type a safetensors `dtype` names, if supported.
    public init?(safetensorsName: String) {
        guard let t = DType.allCases.first(where: { $0.safetensorsName == safetensorsName }) else { return nil }
        self = t
    }

    /// The NumPy `descr` (little-endian); bfloat16 has none.
    public var numpyDescr: String? {
        switch self {
        case .f16: "<f2"
        case .f32: "<f4"
        case .f64: "<f8"
        case .i64: "<i8"
        case .i32: "<i4"
        case .bf16: nil
        }
    }

    /// The precision whose values this float type holds exactly.
    public var precision: PrecisionName? {
        switch self {
        case .f16: .f16
        case .bf16: .bf16
        case .f32: .f32
        case .f64: .f64
        case .i64, .i32: nil
        }
    }
}

/// A tensor as a file holds it: a dtype, a shape and its little-endian bytes, kept bit for bit
/// (NaN payloads and signed zeros included).
public struct HostTensor: Equatable, Sendable {
    public let dtype: DType
    public let shape: [Int]
    public let bytes: [UInt8]

    /// A tensor over `bytes`, which must hold exactly `count(shape) · byteSize` bytes.
    /// - Throws: `HostTensorError` when they do not (or the shape is negative or too large).
    public init(dtype: DType, shape: [Int], bytes: [UInt8]) throws {
        guard let n = HostTensor.elementCount(shape), case (let size, false) = n.multipliedReportingOverflow(by: dtype.byteSize),
              size == bytes.count else {
            let needed = HostTensor.elementCount(shape).map { $0.multipliedReportingOverflow(by: dtype.byteSize) }
            throw HostTensorError(message: "shape \(shape) of \(dtype) needs \(needed.flatMap { $0.overflow ? nil : "\($0.partialValue)" } ?? "too many") bytes, found \(bytes.count)")
        }
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// A tensor holding `values`, each rounded to `dtype` (to nearest, ties to even; integer
    /// dtypes take integral values in their range).
    /// - Throws: `HostTensorError` when the count does not fit the shape or a value does not fit
    ///   an integer dtype.
    public init(dtype: DType, shape: [Int], values: [Double]) throws {
        var out = [UInt8]()
        out.reserveCapacity(values.count * dtype.byteSize)
        for v in values {
            switch dtype {
            case .f16: HostTensor.append(UInt64(Half(v).bitPattern), 2, &out)
            case .bf16: HostTensor.append(UInt64(BFloat16(v).bitPattern), 2, &out)
            case .f32: HostTensor.append(UInt64(Float(v).bitPattern), 4, &out)
            case .f64: HostTensor.append(v.bitPattern, 8, &out)
            case .i64:
                guard let i = Int64(exactly: v) else { throw HostTensorError(message: "\(v) is not an i64") }
                HostTensor.append(UInt64(bitPattern: i), 8, &out)
            case .i32:
                guard let i = Int32(exactly: v) else { throw HostTensorError(message: "\(v) is not an i32") }
                HostTensor.append(UInt64(UInt32(bitPattern: i)), 4, &out)
            }
        }
        try self.init(dtype: dtype, shape: shape, bytes: out)
    }

    /// An integer tensor holding `ints` (`i64` or `i32`).
    /// - Throws: `HostTensorError` for a float dtype, a value outside i32, or a count that does
    ///   not fit the shape.
    public init(dtype: DType, shape: [Int], ints: [Int]) throws {
        var out = [UInt8]()
        for v in ints {
            switch dtype {
            case .i64: HostTensor.append(UInt64(bitPattern: Int64(v)), 8, &out)
            case .i32:
                guard let i = Int32(exactly: v) else { throw HostTensorError(message: "\(v) is not an i32") }
                HostTensor.append(UInt64(UInt32(bitPattern: i)), 4, &out)
            default: throw HostTensorError(message: "integers need dtype i64 or i32, not \(dtype)")
            }
        }
        try self.init(dtype: dtype, shape: shape, bytes: out)
    }

    static func append(_ v: UInt64, _ n: Int, _ out: inout [UInt8]) {
        for k in 0..<n { out.append(UInt8(truncatingIfNeeded: v >> (8 * k))) }
    }

    /// The product of the extents, or nil when it overflows `Int`.
    public static func elementCount(_ shape: [Int]) -> Int? {
        var n = 1
        for d in shape {
            guard d >= 0 else { return nil }
            let (p, overflow) = n.multipliedReportingOverflow(by: d)
            if overflow { return nil }
            n = p
        }
        return n
    }

    /// The number of elements.
    public var count: Int { bytes.count / dtype.byteSize }

    /// Samples `range` along the first axis (a minibatch of a dataset).
    /// - Throws: `HostTensorError` when the tensor has no first axis or `range` leaves it.
    public func samples(_ range: Range<Int>) throws -> HostTensor {
        try HostTensor(dtype: dtype, shape: [range.count] + shape.dropFirst(), bytes: Array(bytes[try byteRange(range)]))
    }

    private func word(_ i: Int) -> UInt64 {
        var v: UInt64 = 0
        let size = dtype.byteSize
        for k in 0..<size { v |= UInt64(bytes[i * size + k]) << (8 * k) }
        return v
    }

    /// The elements as `Double`s: exact for every float type (NaN stays NaN) and for integers
    /// up to 2⁵³.
    public func doubles() -> [Double] {
        (0..<count).map { i in
            let w = word(i)
            switch dtype {
            case .f16: return Half(bitPattern: UInt16(w)).exactDouble
            case .bf16: return BFloat16(bitPattern: UInt16(w)).exactDouble
            case .f32: return Double(Float(bitPattern: UInt32(w)))
            case .f64: return Double(bitPattern: w)
            case .i64: return Double(Int64(bitPattern: w))
            case .i32: return Double(Int32(bitPattern: UInt32(w)))
            }
        }
    }

    /// The elements of an integer tensor; nil for float types.
    public func ints() -> [Int]? {
        switch dtype {
        case .i64: (0..<count).map { Int(Int64(bitPattern: word($0))) }
        case .i32: (0..<count).map { Int(Int32(bitPattern: UInt32(word($0)))) }
        default: nil
        }
    }

    /// How many elements are NaN and how many ±∞ (float types; 0 for integers).
    public var nonFinite: (nan: Int, infinite: Int) {
        guard dtype.isFloatingPoint else { return (0, 0) }
        var nan = 0, inf = 0
        for v in doubles() {
            if v.isNaN { nan += 1 } else if v.isInfinite { inf += 1 }
        }
        return (nan, inf)
    }
}

/// A tensor that cannot be made from what was given (a count that does not fit the shape, a
/// value outside an integer dtype, samples outside the tensor).
public struct HostTensorError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
