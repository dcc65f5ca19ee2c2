import TestSupport
import Precision

/// Random 16-bit operands that cover every class: uniform encodings (normals, some
/// subnormals, ∞, NaN), a dose of subnormals, values near the overflow edge, and the special
/// values themselves.
func randomOperand<S: Emulated16BitFloat>(_: S.Type, _ g: inout SeededGenerator) -> S {
    let fractionBits = S.format.significandBits - 1
    let fractionMask = UInt16((1 << fractionBits) - 1)
    let sign: UInt16 = g.next() & 1 == 0 ? 0 : 0x8000
    let r = UInt16(truncatingIfNeeded: g.next())
    switch g.next() % 16 {
    case 0:
        let specials: [S] = [.zero, .infinity, .nan, .greatestFiniteMagnitude, .leastNonzeroMagnitude,
                             .leastNormalMagnitude, .one, S(bitPattern: S.leastNormalMagnitude.bitPattern - 1)]
        return S(bitPattern: specials[Int(g.next() % UInt64(specials.count))].bitPattern | sign)
    case 1, 2:
        return S(bitPattern: sign | (r & fractionMask))  // subnormal (or zero)
    case 3:
        // The two binades below the overflow edge.
        let top = S.infinity.bitPattern - (UInt16(g.next() % 2 + 1) << fractionBits)
        return S(bitPattern: sign | top | (r & fractionMask))
    default:
        return S(bitPattern: r)
    }
}

/// `x` moved by a few units in the last place (by encoding), staying in its sign.
func nudged<S: Emulated16BitFloat>(_ x: S, _ g: inout SeededGenerator) -> S {
    let delta = Int(g.next() % 7) - 3
    let magnitude = Int(x.bitPattern & 0x7FFF) + delta
    guard magnitude >= 0 && magnitude < Int(S.infinity.bitPattern) else { return x }
    return S(bitPattern: (x.bitPattern & 0x8000) | UInt16(magnitude))
}
