import CMPFR
import Testing
import Precision

/// The fp8 formats' elementary functions (computed in `Double`, rounded once) against MPFR's
/// correctly rounded results in the format, on all 256 encodings (E4M3FN's results beyond 448
/// are its overflow NaN, as in `Float8ArithmeticTests.inFormat`).
@Suite struct Float8ElementaryTests {
    typealias MPFRFunction = (UnsafeMutablePointer<__mpfr_struct>, UnsafePointer<__mpfr_struct>, mpfr_rnd_t) -> Int32

    static func exhaustive<S: Emulated8BitFloat>(_: S.Type) -> [String: Int] {
        let oracle = FormatOracle(S.format)
        let functions: [(String, (S) -> S, MPFRFunction)] = [
            ("exp", { S.exp($0) }, mpfr_exp), ("expm1", { S.expMinusOne($0) }, mpfr_expm1),
            ("log", { S.log($0) }, mpfr_log), ("log1p", { S.log(onePlus: $0) }, mpfr_log1p),
            ("tanh", { S.tanh($0) }, mpfr_tanh), ("erf", { S.erf($0) }, mpfr_erf),
        ]
        var failures: [String: Int] = [:]
        for (name, ours, theirs) in functions {
            for raw in 0...UInt8.max {
                let x = S(bitPattern: raw)
                let want = Float8ArithmeticTests.inFormat(S.self, oracle.function(x.exactDouble, theirs))
                if !sameResult(ours(x).exactDouble, want) { failures[name, default: 0] += 1 }
            }
        }
        return failures
    }

    @Test func e4m3ElementaryFunctionsAreCorrectlyRounded() {
        let failures = Self.exhaustive(Float8E4M3FN.self)
        #expect(failures.isEmpty, "e4m3 misrounded: \(failures)")
    }

    @Test func e5m2ElementaryFunctionsAreCorrectlyRounded() {
        let failures = Self.exhaustive(Float8E5M2.self)
        #expect(failures.isEmpty, "e5m2 misrounded: \(failures)")
    }
}
