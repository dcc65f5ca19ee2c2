import Foundation
import Testing
import Precision

/// The fp8 precisions' names, aliases, dispatch and traits.
@Suite struct Float8NameTests {
    @Test func parsesTheEightBitNames() throws {
        for t in ["e4m3", "E4M3", "e4m3fn", "fp8_e4m3", "float8_e4m3fn", " e4m3 "] { #expect(try PrecisionName(parsing: t) == .e4m3) }
        for t in ["e5m2", "E5M2", "fp8_e5m2", "float8_e5m2"] { #expect(try PrecisionName(parsing: t) == .e5m2) }
        #expect(throws: PrecisionNameError.unknown("e4m4")) { try PrecisionName(parsing: "e4m4") }
        #expect(PrecisionNameError.unknown("x").description.contains("e4m3, e5m2"))
        for p in PrecisionName.eightBit {
            #expect(try PrecisionName(parsing: p.description) == p)
            let data = try JSONEncoder().encode([p])
            #expect(try JSONDecoder().decode([PrecisionName].self, from: data) == [p])
        }
    }

    @Test func dispatchesToTheEmulatedFormats() {
        #expect(PrecisionName.e4m3.format == Float8E4M3FN.format && Float8E4M3FN.precisionName == .e4m3)
        #expect(PrecisionName.e5m2.format == Float8E5M2.format && Float8E5M2.precisionName == .e5m2)
        #expect(FixedArithmetic<Float8E4M3FN>().precision == .e4m3)
        let t = PrecisionName.e4m3.traits
        #expect(t.isFixedWidth && t.canUnderflow && !t.isEnclosure && t.widerAccumulator == .float)
        #expect(!PrecisionName.standard.contains(.e4m3))  // default analyses are unchanged
    }
}
