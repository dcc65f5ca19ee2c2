import BPCheck

/// The version line of `bpcheck --version`: the tool's version and the MPFR and GMP it runs on.
enum BPCheckVersion {
    /// bpcheck's own version.
    static let tool = "0.1.0"
    /// `bpcheck 0.1.0 (MPFR 4.2.0, GMP 6.2.1)`.
    static var full: String {
        "bpcheck \(tool) (MPFR \(MPFRLibrary.mpfrVersion), GMP \(MPFRLibrary.gmpVersion))"
    }
}
