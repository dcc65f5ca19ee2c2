import Foundation

/// A data file (`bpcheck --data`): an `.npz` whose members `x` and `y` (or `inputs` and
/// `targets`) are a batch's inputs and targets, replacing a model's default batch.
public enum DataFile {
    /// Reads the inputs and targets of the data file at `path` (as the user gave it, for messages).
    /// - Throws: `ModelError` naming the file (and the member at fault) when the archive cannot be
    ///   read or lacks the members.
    public static func read(_ path: String) throws -> (inputs: HostTensor, targets: HostTensor) {
        let url = URL(fileURLWithPath: path)
        let members: [String: HostTensor]
        do {
            members = try NumpyFile.readNPZ(url: url, file: path)
        } catch let e as TensorFileError {
            throw ModelError(file: path, message: (e.tensor.map { "member '\($0)': " } ?? "") + e.message)
        }
        guard let x = members["x"] ?? members["inputs"], let y = members["y"] ?? members["targets"] else {
            throw ModelError(file: path, message: "needs members x and y (or inputs and targets); found \(members.keys.sorted().joined(separator: ", "))")
        }
        return (x, y)
    }

    /// The inputs and targets of the data file at `path`, as `read(_:)` gives them, but with the
    /// inputs read on demand from the memory-mapped file where the `.npz` stores them (NumPy's
    /// `np.savez` does): a task that analyses a few batches of a large data set holds those
    /// batches, not the data set. A deflated archive (`np.savez_compressed`) is read whole.
    /// - Throws: `ModelError` naming the file and the member at fault, as `read(_:)`.
    public static func open(_ path: String) throws -> (inputs: any SampleSource, targets: any SampleSource) {
        let url = URL(fileURLWithPath: path)
        guard let data = try? Data(contentsOf: url, options: .alwaysMapped), let stored = StoredNPZ.members(data),
              let xName = ["x", "inputs"].first(where: { stored[$0] != nil }), let yName = ["y", "targets"].first(where: { stored[$0] != nil }),
              let x = stored[xName], let y = stored[yName] else {
            let (x, y) = try read(path)
            return (x, y)
        }
        do {
            let inputs = try MappedArray(data: data, start: x.start, size: x.size, file: path, member: xName)
            let targets = try NumpyFile.readNPY([UInt8](data[(data.startIndex + y.start)..<(data.startIndex + y.start + y.size)]), file: path, member: yName)
            return (inputs, targets)
        } catch let e as TensorFileError {
            throw ModelError(file: path, message: (e.tensor.map { "member '\($0)': " } ?? "") + e.message)
        }
    }
}
