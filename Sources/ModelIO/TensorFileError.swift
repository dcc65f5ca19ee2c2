/// A tensor file that cannot be read: which file, which tensor (if one), what is wrong.
public struct TensorFileError: Error, Equatable, CustomStringConvertible {
    public let file: String
    public let tensor: String?
    public let message: String

    public init(file: String, tensor: String? = nil, message: String) {
        self.file = file
        self.tensor = tensor
        self.message = message
    }

    public var description: String {
        "\(file)" + (tensor.map { ": tensor '\($0)'" } ?? "") + ": " + message
    }
}
