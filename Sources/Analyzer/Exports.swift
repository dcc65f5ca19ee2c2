// The analyzer builds on the engine and the precisions: re-export them so `import Analyzer`
// is enough for a test suite. The analysis itself is issue 5.
@_exported import AD
