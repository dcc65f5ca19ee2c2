// The AD engine builds on the precisions: re-export them so `import AD` is enough.
// The engine itself (tensors, primitives, tape, conventions) is issue 3.
@_exported import Precision
