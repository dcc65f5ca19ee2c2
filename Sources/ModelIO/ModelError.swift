/// A model that cannot be loaded: the file, the node and the key at fault, and what was
/// expected. Every user-facing failure of bpcheck's model loading is one of these.
public struct ModelError: Error, Equatable, CustomStringConvertible {
    public let file: String
    public let node: String?
    public let key: String?
    public let message: String

    public init(file: String, node: String? = nil, key: String? = nil, message: String) {
        self.file = file
        self.node = node
        self.key = key
        self.message = message
    }

    public var description: String {
        var where_ = file
        if let node { where_ += ": node '\(node)'" }
        if let key { where_ += (node == nil ? ": " : ", ") + "key '\(key)'" }
        return where_ + ": " + message
    }
}
