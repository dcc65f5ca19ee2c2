import CNativeKernels
import Precision

/// A slot of the multi-double rungs (triple- and quad-double balls), as parts: their tests
/// (`MultiDoubleBallTests`, `MultiDoubleBallGemmTests`) draw and check both through this.
protocol MultiDoubleSlot: Sendable {
    associatedtype Arithmetic: EnclosingArithmetic where Arithmetic.Slot == Self
    static var arithmetic: Arithmetic { get }
    static var componentCount: Int { get }
    /// The rung's name in messages.
    static var name: String { get }
    init(components: [Double], rad: Double)
    var components: [Double] { get }
    var rad: Double { get set }
    /// `bp_?ball_mul_acc_unsound_for_testing`: the dropped terms left out of the radius.
    static func unsoundMultiplyAccumulate(_ r: inout Self, _ a: inout Self, _ b: inout Self)
    /// `bp_?ball_matrix_accumulate_variant`.
    static func variant(_ v: Int32, _ c: UnsafeMutablePointer<Self>, _ ldc: Int, _ a: UnsafeMutablePointer<Self>, _ lda: Int, _ ak: Int,
                        _ b: UnsafeMutablePointer<Self>, _ ldb: Int, _ rows: Int, _ cols: Int, _ depth: Int) -> Int32
}

extension bp_tball: MultiDoubleSlot {
    static var arithmetic: TripleDoubleBallArithmetic { TripleDoubleBallArithmetic() }
    static var componentCount: Int { 3 }
    static var name: String { "triple-double" }
    init(components c: [Double], rad: Double) { self.init(c0: c[0], c1: c[1], c2: c[2], rad: rad) }
    var components: [Double] { [c0, c1, c2] }
    static func unsoundMultiplyAccumulate(_ r: inout Self, _ a: inout Self, _ b: inout Self) { bp_tball_mul_acc_unsound_for_testing(&r, &a, &b) }
    static func variant(_ v: Int32, _ c: UnsafeMutablePointer<Self>, _ ldc: Int, _ a: UnsafeMutablePointer<Self>, _ lda: Int, _ ak: Int,
                        _ b: UnsafeMutablePointer<Self>, _ ldb: Int, _ rows: Int, _ cols: Int, _ depth: Int) -> Int32 {
        bp_tball_matrix_accumulate_variant(v, c, ldc, a, lda, ak, b, ldb, rows, cols, depth)
    }
}

extension bp_qball: MultiDoubleSlot {
    static var arithmetic: QuadDoubleBallArithmetic { QuadDoubleBallArithmetic() }
    static var componentCount: Int { 4 }
    static var name: String { "quad-double" }
    init(components c: [Double], rad: Double) { self.init(c0: c[0], c1: c[1], c2: c[2], c3: c[3], rad: rad) }
    var components: [Double] { [c0, c1, c2, c3] }
    static func unsoundMultiplyAccumulate(_ r: inout Self, _ a: inout Self, _ b: inout Self) { bp_qball_mul_acc_unsound_for_testing(&r, &a, &b) }
    static func variant(_ v: Int32, _ c: UnsafeMutablePointer<Self>, _ ldc: Int, _ a: UnsafeMutablePointer<Self>, _ lda: Int, _ ak: Int,
                        _ b: UnsafeMutablePointer<Self>, _ ldb: Int, _ rows: Int, _ cols: Int, _ depth: Int) -> Int32 {
        bp_qball_matrix_accumulate_variant(v, c, ldc, a, lda, ak, b, ldb, rows, cols, depth)
    }
}
