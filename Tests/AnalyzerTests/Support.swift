import Foundation

/// Paths of the test target's committed files.
enum TestFiles {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let fixtures = root.appendingPathComponent("Fixtures")
    static let examples = root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("examples")

    static func bytes(_ url: URL) throws -> [UInt8] { [UInt8](try Data(contentsOf: url)) }
}
