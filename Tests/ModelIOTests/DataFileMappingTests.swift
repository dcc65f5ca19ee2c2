import Foundation
import Testing
import ModelIO

/// `DataFile.open`: a stored `.npz` (what `np.savez` writes) gives inputs read on demand from the
/// memory-mapped file, sample for sample the bytes `DataFile.read` gives; a deflated one is read
/// whole; a bad member is an error naming the file and the member (Fixtures/data/make_data_fixtures.py).
@Suite struct DataFileMappingTests {
    static let directory = TestFiles.fixtures.appendingPathComponent("data")

    @Test(arguments: ["stored.npz", "stored-zip64.npz"])
    func storedMembersAreMappedAndReadTheSameBytes(_ name: String) throws {
        let path = Self.directory.appendingPathComponent(name).path
        let (x, y) = try DataFile.read(path)
        let opened = try DataFile.open(path)
        #expect(opened.inputs is MappedArray, "\(name): \(type(of: opened.inputs))")
        #expect(opened.inputs.shape == [10, 3] && opened.inputs.dtype == .f32)
        for range in [0..<10, 0..<1, 3..<7, 9..<10] {
            #expect(try opened.inputs.samples(range) == x.samples(range), "\(name) \(range)")
            #expect(try opened.targets.samples(range) == y.samples(range), "\(name) \(range)")
        }
        #expect(throws: HostTensorError.self) { try opened.inputs.samples(8..<11) }
    }

    @Test func aDeflatedArchiveIsReadWhole() throws {
        let path = TestFiles.examples.appendingPathComponent("digits-mlp/data.npz").path
        let opened = try DataFile.open(path), (x, _) = try DataFile.read(path)
        #expect(opened.inputs is HostTensor)
        #expect(try opened.inputs.samples(0..<x.shape[0]) == x)
    }

    @Test func aBadMemberNamesTheFileAndTheMember() throws {
        let path = Self.directory.appendingPathComponent("bad-header.npz").path
        #expect(throws: ModelError.self) { _ = try DataFile.open(path) }
        do { _ = try DataFile.open(path) } catch let e as ModelError {
            #expect(e.description.contains("bad-header.npz") && e.description.contains("member 'x'") && e.description.contains("needs 132 data bytes"), "\(e)")
        }
    }
}
