import Foundation
import Testing
import Precision

@Suite struct PrecisionNameTests {
    @Test func parsesCanonicalNamesAndAliases() throws {
        #expect(try PrecisionName(parsing: "f16") == .f16)
        #expect(try PrecisionName(parsing: "BF16") == .bf16)
        #expect(try PrecisionName(parsing: " float32 ") == .f32)
        #expect(try PrecisionName(parsing: "double") == .f64)
        #expect(try PrecisionName(parsing: "mpfr:256") == .mpfr(bits: 256))
        #expect(try PrecisionName(parsing: "mpfr:2") == .mpfr(bits: 2))
        #expect(try PrecisionName(parsing: "mpfr:65536") == .mpfr(bits: 65536))
        for name in [PrecisionName.f16, .bf16, .f32, .f64, .mpfr(bits: 4096)] {
            #expect(try PrecisionName(parsing: name.description) == name)
        }
    }

    @Test func rejectsWithAMessageNamingTheInput() {
        #expect(throws: PrecisionNameError.unknown("f8")) { try PrecisionName(parsing: "f8") }
        #expect(throws: PrecisionNameError.badMPFRBits("mpfr:")) { try PrecisionName(parsing: "mpfr:") }
        #expect(throws: PrecisionNameError.badMPFRBits("mpfr:-3")) { try PrecisionName(parsing: "mpfr:-3") }
        #expect(throws: PrecisionNameError.badMPFRBits("mpfr:99999999999999999999")) { try PrecisionName(parsing: "mpfr:99999999999999999999") }
        #expect(throws: PrecisionNameError.mpfrBitsOutOfRange("mpfr:1", 1)) { try PrecisionName(parsing: "mpfr:1") }
        let message = PrecisionNameError.unknown("f8").description
        #expect(message.contains("'f8'") && message.contains("bf16") && message.contains("mpfr:N"))
    }

    /// The format tables against the standard library's own constants (an independent source)
    /// and against the closed forms 2^(1−p), 2^(emin−p+1), (2 − 2^(1−p))·2^emax.
    @Test func formatParametersMatchTheStandardLibraryAndClosedForms() {
        #expect(PrecisionName.f32.format.epsilon == Double(Float.ulpOfOne))
        #expect(PrecisionName.f32.format.leastNonzeroMagnitude == Double(Float.leastNonzeroMagnitude))
        #expect(PrecisionName.f32.format.leastNormalMagnitude == Double(Float.leastNormalMagnitude))
        #expect(PrecisionName.f32.format.greatestFiniteMagnitude == Double(Float.greatestFiniteMagnitude))
        #expect(PrecisionName.f64.format.epsilon == Double.ulpOfOne)
        #expect(PrecisionName.f64.format.leastNonzeroMagnitude == Double.leastNonzeroMagnitude)
        #expect(PrecisionName.f64.format.greatestFiniteMagnitude == Double.greatestFiniteMagnitude)
        #expect(PrecisionName.f16.format.epsilon == 0x1p-10)
        #expect(PrecisionName.f16.format.leastNonzeroMagnitude == 0x1p-24)
        #expect(PrecisionName.f16.format.greatestFiniteMagnitude == 65504)
        #expect(PrecisionName.bf16.format.epsilon == 0x1p-7)
        #expect(PrecisionName.bf16.format.leastNonzeroMagnitude == 0x1p-133)
        #expect(PrecisionName.bf16.format.greatestFiniteMagnitude == 0x1.FEp127)
        // The emulated types agree with their format descriptions.
        #expect(Half.greatestFiniteMagnitude.exactDouble == PrecisionName.f16.format.greatestFiniteMagnitude)
        #expect(BFloat16.leastNormalMagnitude.exactDouble == PrecisionName.bf16.format.leastNormalMagnitude)
        let mpfr = PrecisionName.mpfr(bits: 256).format
        #expect(mpfr.significandBits == 256 && !mpfr.hasSubnormals && mpfr.epsilonExponent == -255)
        #expect(mpfr.minExponent < -1_000_000 && mpfr.maxExponent > 1_000_000)
    }

    @Test func codableUsesTheCanonicalSpelling() throws {
        let data = try JSONEncoder().encode([PrecisionName.bf16, .mpfr(bits: 300)])
        #expect(String(decoding: data, as: UTF8.self) == #"["bf16","mpfr:300"]"#)
        #expect(try JSONDecoder().decode([PrecisionName].self, from: data) == [.bf16, .mpfr(bits: 300)])
    }
}
