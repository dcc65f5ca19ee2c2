import BPCheck

/// The command-line options of the convention table: one `--<flag> VALUE` per choice that a
/// primitive declares (`ConventionChoice.all`), so a new kinked primitive's knob is an option
/// without any code here. Each is rewritten to the generic `--derivative <flag>=VALUE` before
/// parsing (argument-parser's options are static declarations).
enum ConventionFlags {
    /// `args` with every `--<flag> V` / `--<flag>=V` of a choice as `--derivative <flag>=V`.
    static func rewrite(_ args: [String]) -> [String] {
        let flags = Set(ConventionChoice.all.map(\.flag))
        var out: [String] = []
        var i = 0
        while i < args.count {
            let a = args[i]
            if a.hasPrefix("--") {
                let body = a.dropFirst(2)
                if let eq = body.firstIndex(of: "="), flags.contains(String(body[..<eq])) {
                    out += ["--derivative", "\(body[..<eq])=\(body[body.index(after: eq)...])"]
                    i += 1
                    continue
                }
                if flags.contains(String(body)), i + 1 < args.count {
                    out += ["--derivative", "\(body)=\(args[i + 1])"]
                    i += 2
                    continue
                }
            }
            out.append(a)
            i += 1
        }
        return out
    }

    /// The choices for `--help`: option, what it sets, PyTorch's value and where it comes from.
    static var help: String {
        "Derivatives at kinks (convention C; C′ flips each choice), one option per choice:\n" + ConventionChoice.all.map { c in
            "  --\(c.flag) V: \(c.doc) Default (PyTorch's): \(c.render(c.pytorch)); \(c.source)."
        }.joined(separator: "\n")
    }

    /// One `flag=value` entry, parsed and checked against its choice's domain; errors name the option.
    static func entry(_ entry: String) throws -> (ConventionChoice, ConventionValue) {
        guard let eq = entry.firstIndex(of: "=") else {
            throw ConventionError(message: "--derivative expects CHOICE=VALUE, found '\(entry)'")
        }
        let flag = String(entry[..<eq]), value = String(entry[entry.index(after: eq)...])
        guard let choice = ConventionChoice.named(flag) else {
            throw ConventionError(message: "unknown convention choice '\(flag)' (known: \(ConventionChoice.all.map(\.flag).joined(separator: ", ")))")
        }
        return (choice, try choice.parse(value))
    }
}
