import Foundation
import Testing
import ModelIO

/// The malformed-input corpus (Corpus/make_corpus.py): every case gives exactly its expected
/// message; the NaN/∞ case is accepted and its tensors are named.
@Suite struct CorpusTests {
    struct Expectation: Decodable {
        let error: String?
        let accepted: Bool?
    }

    static func expectations() throws -> [String: Expectation] {
        try JSONDecoder().decode([String: Expectation].self, from: Data(contentsOf: TestFiles.corpus.appendingPathComponent("expected.json")))
    }

    @Test func everyCaseGivesItsMessage() throws {
        let cases = try Self.expectations()
        #expect(cases.count >= 30)
        let prefix = TestFiles.corpus.path + "/"
        for (name, expectation) in cases.sorted(by: { $0.key < $1.key }) {
            let url = TestFiles.corpus.appendingPathComponent(name).appendingPathComponent("model.json")
            do {
                let model = try Model(contentsOf: url)
                #expect(expectation.accepted == true, "\(name) loaded but should fail with: \(expectation.error ?? "?")")
                if expectation.accepted == true {
                    #expect(model.nonFiniteTensors.map(\.name) == ["fc1.bias"])
                    #expect(model.nonFiniteTensors.first?.nan == 1 && model.nonFiniteTensors.first?.infinite == 1)
                }
            } catch let error as ModelError {
                #expect(error.description.replacingOccurrences(of: prefix, with: "") == expectation.error, "\(name)")
            }
        }
    }

    /// Every case folder is listed, so a new case cannot go unchecked.
    @Test func everyFolderHasAnExpectation() throws {
        let folders = try FileManager.default.contentsOfDirectory(atPath: TestFiles.corpus.path).filter {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: TestFiles.corpus.appendingPathComponent($0).path, isDirectory: &isDirectory) && isDirectory.boolValue
        }
        #expect(Set(folders) == Set(try Self.expectations().keys))
    }
}
