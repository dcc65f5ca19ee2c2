import Foundation
import Testing
import AD

/// The autocast op table: total over the primitives, and the same in the code as in the table
/// of docs/precisions.md (what the docs promise is what the policy will apply).
@Suite struct AutocastTableTests {
    /// The rows between the `autocast-table` markers: op names (one or several, in backticks)
    /// with their class.
    static func documentedTable() throws -> [String: String] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("docs/precisions.md"), encoding: .utf8)
        let start = try #require(text.range(of: "<!-- autocast-table -->")).upperBound
        let end = try #require(text.range(of: "<!-- /autocast-table -->")).lowerBound
        var table: [String: String] = [:]
        for line in text[start..<end].split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            for name in cells[0].split(separator: ",") {
                let op = name.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "`"))
                #expect(table[op] == nil, "\(op) listed twice in docs/precisions.md")
                table[op] = cells[1]
            }
        }
        return table
    }

    @Test func everyPrimitiveHasAClass() {
        let names = Set(Op.primitiveTypes.map { $0.name })
        #expect(Set(AutocastClass.table.keys) == names, "table \(Set(AutocastClass.table.keys).symmetricDifference(names))")
        #expect(AutocastClass.of(primitiveNamed: "linear") == .lowPrecision)
        #expect(AutocastClass.of(primitiveNamed: "no_such_op") == nil)
    }

    @Test func docsTableIsTheCodeTable() throws {
        let documented = try Self.documentedTable()
        #expect(documented == AutocastClass.table.mapValues(\.rawValue))
    }
}
