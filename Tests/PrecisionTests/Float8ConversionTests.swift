import Foundation
import TestSupport
import Testing
import Precision

/// The fp8 formats' encodings and conversions against ml_dtypes (`float8_e4m3fn`,
/// `float8_e5m2`), from the fixtures `Fixtures/fp8/make_fp8_fixtures.py` wrote.
@Suite struct Float8ConversionTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/fp8")

    /// The data of a little-endian `.npy` file whose `descr` is `descr` (version 1 header).
    static func npy(_ name: String, descr: String) throws -> Data {
        let bytes = try Data(contentsOf: fixtures.appendingPathComponent(name))
        try #require(bytes.count > 10 && bytes.prefix(6) == Data([0x93]) + Data("NUMPY".utf8), "\(name): not a .npy file")
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        let header = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
        try #require(header.contains("'descr': '\(descr)'"), "\(name): header \(header), expected \(descr)")
        return bytes.subdata(in: (10 + headerLength)..<bytes.count)
    }

    static func doubles(_ name: String) throws -> [Double] {
        let d = try npy(name, descr: "<f8")
        return d.withUnsafeBytes { raw in (0..<(d.count / 8)).map { Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self))) } }
    }

    /// The same doubles as `random_doubles` in the script: SplitMix64 words, sign bit kept,
    /// exponent uniform over emin − p − 2 … emax + 2, 52 random fraction bits.
    static func randomDoubles(seed: UInt64, count: Int, _ f: FormatInfo) -> [Double] {
        var g = SeededGenerator(seed: seed)
        let lo = f.minExponent - f.significandBits - 2, hi = f.maxExponent + 2
        return (0..<count).map { _ in
            let z = g.next()
            let e = UInt64(lo + 1023) + ((z >> 52) & 0x7FF) % UInt64(hi - lo + 1)
            return Double(bitPattern: (z & (1 << 63)) | (e << 52) | (z & ((1 << 52) - 1)))
        }
    }

    /// Same bits, or both NaN with the same sign.
    static func sameDecoded(_ x: Double, _ y: Double) -> Bool {
        x.isNaN ? (y.isNaN && x.sign == y.sign) : x.bitPattern == y.bitPattern
    }

    static func decodesEveryEncoding<S: Emulated8BitFloat>(_: S.Type, _ name: String) throws {
        let want = try doubles("decode_\(name).npy")
        try #require(want.count == 256)
        var agree = 0
        for b in 0..<256 where sameDecoded(S(bitPattern: UInt8(b)).exactDouble, want[b]) { agree += 1 }
        #expect(agree == 256, "\(name): \(agree) of 256 encodings decode as ml_dtypes does")
        // Classification agrees with the decoded value.
        for b in 0..<256 {
            let s = S(bitPattern: UInt8(b)), v = want[b]
            #expect(s.isNaN == v.isNaN && s.isInfinite == v.isInfinite && s.isZero == (v == 0))
            #expect(s.isSubnormal == (v != 0 && v.isFinite && v.magnitude < S.format.leastNormalMagnitude!))
        }
    }

    static func convertsLikeMLDtypes<S: Emulated8BitFloat>(_: S.Type, _ name: String, seed: UInt64) throws -> (edges: Int, total: Int) {
        let inputs = try doubles("edges_\(name).npy") + randomDoubles(seed: seed, count: 1_000_000, S.format)
        let nonSaturating = [UInt8](try npy("convert_\(name).npy", descr: "|u1"))
        try #require(nonSaturating.count == inputs.count, "\(name): \(nonSaturating.count) outputs for \(inputs.count) inputs (formula out of step with the script?)")
        var saturating = nonSaturating
        let pairs = try npy("saturate_\(name).npy", descr: "<u4")
        pairs.withUnsafeBytes { raw in
            for k in 0..<(pairs.count / 8) {
                let i = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * k, as: UInt32.self)))
                saturating[i] = UInt8(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * k + 4, as: UInt32.self)))
            }
        }
        var agreeNon = 0, agreeSat = 0
        var firstFailure: String?
        for (i, x) in inputs.enumerated() {
            let n = S.encode(x, overflow: .nonSaturating), s = S.encode(x, overflow: .saturating)
            if n == nonSaturating[i] { agreeNon += 1 } else if firstFailure == nil { firstFailure = "non-saturating \(x): \(n), ml_dtypes \(nonSaturating[i])" }
            if s == saturating[i] { agreeSat += 1 } else if firstFailure == nil { firstFailure = "saturating \(x): \(s), ml_dtypes \(saturating[i])" }
        }
        #expect(agreeNon == inputs.count && agreeSat == inputs.count,
                "\(name): non-saturating \(agreeNon), saturating \(agreeSat) of \(inputs.count) agree; first: \(firstFailure ?? "-")")
        // The fixtures discriminate: rounding through Float first (two roundings) disagrees.
        var doubleRounded = 0
        for (i, x) in inputs.enumerated() where S.encode(Double(Float(x)), overflow: .nonSaturating) != nonSaturating[i] { doubleRounded += 1 }
        #expect(doubleRounded > 0, "\(name): rounding via Float agrees everywhere, so the fixtures cannot tell one rounding from two")
        // The default conversion is the non-saturating one.
        #expect(inputs.prefix(5000).allSatisfy { S($0).bitPattern == S.encode($0, overflow: .nonSaturating) })
        return (inputs.count - 1_000_000, inputs.count)
    }

    @Test func e4m3DecodesEveryEncodingAsMLDtypes() throws { try Self.decodesEveryEncoding(Float8E4M3FN.self, "e4m3") }
    @Test func e5m2DecodesEveryEncodingAsMLDtypes() throws { try Self.decodesEveryEncoding(Float8E5M2.self, "e5m2") }

    @Test func e4m3ConvertsDoublesAsMLDtypes() throws {
        let n = try Self.convertsLikeMLDtypes(Float8E4M3FN.self, "e4m3", seed: 0xE4E3)
        #expect(n.total >= 1_000_000)
    }
    @Test func e5m2ConvertsDoublesAsMLDtypes() throws {
        let n = try Self.convertsLikeMLDtypes(Float8E5M2.self, "e5m2", seed: 0xE5E2)
        #expect(n.total >= 1_000_000)
    }

    /// The OFP8 spec's table 1, written out: independent of ml_dtypes and of `FormatInfo`'s formulas.
    @Test func parametersAreTheSpecifications() {
        #expect(Float8E4M3FN.greatestFiniteMagnitude.exactDouble == 448)
        #expect(Float8E4M3FN.greatestFiniteMagnitude.bitPattern == 0x7E)
        #expect(Float8E4M3FN.leastNormalMagnitude.exactDouble == 0x1p-6)
        #expect(Float8E4M3FN.leastNonzeroMagnitude.exactDouble == 0x1p-9)
        #expect(Float8E4M3FN(bitPattern: 0x7F).isNaN && Float8E4M3FN(bitPattern: 0xFF).isNaN)
        #expect((0..<256).filter { Float8E4M3FN(bitPattern: UInt8($0)).isNaN }.count == 2)
        #expect(!(0..<256).contains { Float8E4M3FN(bitPattern: UInt8($0)).isInfinite })
        #expect(Float8E5M2.greatestFiniteMagnitude.exactDouble == 57344)
        #expect(Float8E5M2.leastNormalMagnitude.exactDouble == 0x1p-14)
        #expect(Float8E5M2.leastNonzeroMagnitude.exactDouble == 0x1p-16)
        #expect(Float8E5M2.infinity.bitPattern == 0x7C && Float8E5M2.infinity.exactDouble == .infinity)
        #expect((0..<256).filter { Float8E5M2(bitPattern: UInt8($0)).isNaN }.count == 6)
        #expect(FormatInfo.e4m3.greatestFiniteMagnitude == 448 && FormatInfo.e5m2.greatestFiniteMagnitude == 57344)
        #expect(FormatInfo.e4m3.epsilon == 0x1p-3 && FormatInfo.e5m2.epsilon == 0x1p-2)
        #expect(FormatInfo.e4m3.leastNonzeroMagnitude == 0x1p-9 && FormatInfo.e5m2.leastNonzeroMagnitude == 0x1p-16)
        // Saturation at the edges: 464 is the tie between 448 and (absent) 480, ties to even → 448.
        #expect(Float8E4M3FN(464.0).exactDouble == 448)
        #expect(Float8E4M3FN(464.0.nextUp).isNaN && Float8E4M3FN(464.0.nextUp, overflow: .saturating).exactDouble == 448)
        #expect(Float8E4M3FN(-Double.infinity, overflow: .saturating).exactDouble == -448)
        // One rounding from Double: 1.0625 + 2⁻⁴⁰ is above the midpoint of 1 and 1.125 (ml_dtypes: 0x39).
        #expect(Float8E4M3FN(1.0625 + 0x1p-40).bitPattern == 0x39 && Float8E4M3FN(1.0625).bitPattern == 0x38)
        #expect(Float8E5M2(61440.0).isInfinite && Float8E5M2(61440.0.nextDown).exactDouble == 57344)
    }
}
