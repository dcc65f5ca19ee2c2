// The library door: `import BPCheck` is enough for a test suite — the precisions, the engine,
// the analysis, model files and reports, and the analysis of a model file (ModelAnalysis.swift).
@_exported import Precision
@_exported import AD
@_exported import Analyzer
@_exported import ModelIO
@_exported import Reports
@_exported import Training
