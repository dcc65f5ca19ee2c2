// The analyzer builds on the engine and the precisions: re-export the engine so `import Analyzer`
// is enough for a graph written in code (`import BPCheck` adds model files and reports).
@_exported import AD
