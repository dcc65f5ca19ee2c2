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
}
