import Foundation
import Testing

/// `bpcheck precisions` lists the fp8 formats, and every format's largest finite value exactly.
@Suite struct Float8PrecisionsCommandTests {
    @Test func listsTheEightBitFormatsAndExactLargestValues() throws {
        let r = try BPCheckProcess.run(["precisions"])
        #expect(r.status == 0)
        // name, significand bits, epsilon, smallest subnormal, exact largest finite, infinities
        // (OFP8 spec table 1; IEEE 754 for f16/f32).
        let expectations: [(String, String, Double, Double, String, String)] = [
            ("e4m3", "4", 0x1p-3, 0x1p-9, "448", "none (overflow → NaN)"),
            ("e5m2", "3", 0x1p-2, 0x1p-16, "57344", "±∞"),
            ("f16", "11", 0x1p-10, 0x1p-24, "65504", "±∞"),
            ("f32", "24", 0x1p-23, 0x1p-149, "340282346638528859811704183484516925440", "±∞"),
        ]
        for (name, bits, eps, tiny, largest, infinities) in expectations {
            let cells = try #require(PrecisionsCommandTests.row(r.stdout, name), "no row for \(name) in:\n\(r.stdout)")
            #expect(cells[2] == bits)
            #expect(cells[4].hasSuffix(String(format: "%.2e", eps)))
            #expect(cells[5].hasSuffix(String(format: "%.2e", tiny)))
            #expect(cells[7] == largest)
            #expect(cells[8] == infinities)
        }
        // f64's 309 digits are abbreviated: first and last ten digits of 2^1024 − 2^971.
        let f64 = try #require(PrecisionsCommandTests.row(r.stdout, "f64"))
        #expect(f64[7] == "1797693134…4124858368 (309 digits)")
    }
}
