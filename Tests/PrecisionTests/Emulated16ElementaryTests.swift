import CMPFR
import Testing
import Precision

/// The elementary functions of the emulated formats (computed in `Double`, rounded once)
/// against MPFR's correctly rounded results in the format, over every encoding.
///
/// The documented bound is "correctly rounded unless the `Double` result is within ~2⁻⁴⁰ of a
/// rounding boundary"; over 65536 inputs per function no such case is expected, so the test
/// demands all of them exact.
@Suite struct Emulated16ElementaryTests {
    typealias MPFRFunction = (UnsafeMutablePointer<__mpfr_struct>, UnsafePointer<__mpfr_struct>, mpfr_rnd_t) -> Int32

    static func exhaustive<S: Emulated16BitFloat>(_: S.Type) -> [String: Int] {
        let oracle = FormatOracle(S.format)
        let functions: [(String, (S) -> S, MPFRFunction)] = [
            ("exp", { S.exp($0) }, mpfr_exp), ("expm1", { S.expMinusOne($0) }, mpfr_expm1),
            ("log", { S.log($0) }, mpfr_log), ("log1p", { S.log(onePlus: $0) }, mpfr_log1p),
            ("tanh", { S.tanh($0) }, mpfr_tanh), ("erf", { S.erf($0) }, mpfr_erf),
        ]
        var failures: [String: Int] = [:]
        for (name, ours, theirs) in functions {
            for raw in 0...UInt16.max {
                let x = S(bitPattern: raw)
                if !sameResult(ours(x).exactDouble, oracle.function(x.exactDouble, theirs)) {
                    failures[name, default: 0] += 1
                }
            }
        }
        return failures
    }

    @Test func halfElementaryFunctionsAreCorrectlyRounded() {
        let failures = Self.exhaustive(Half.self)
        #expect(failures.isEmpty, "binary16 misrounded: \(failures)")
    }

    @Test func bfloat16ElementaryFunctionsAreCorrectlyRounded() {
        let failures = Self.exhaustive(BFloat16.self)
        #expect(failures.isEmpty, "bfloat16 misrounded: \(failures)")
    }
}
