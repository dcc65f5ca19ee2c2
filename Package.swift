// swift-tools-version:6.0
// bpcheck — is backpropagation through this network trustworthy at this precision?
import PackageDescription

let package = Package(
    name: "bpcheck",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "Precision", targets: ["Precision"]),
        .library(name: "AD", targets: ["AD"]),
        .library(name: "Analyzer", targets: ["Analyzer"]),
        .library(name: "ModelIO", targets: ["ModelIO"]),
        .library(name: "Reports", targets: ["Reports"]),
        .library(name: "BPCheck", targets: ["BPCheck"]),
        .executable(name: "bpcheck", targets: ["bpcheck"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        // .npz files are zip archives (stored or deflated members): the well-kept zip library.
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        // MPFR and GMP, the system libraries behind the certified reference.
        .systemLibrary(
            name: "CMPFR",
            pkgConfig: "mpfr",
            providers: [.apt(["libmpfr-dev", "libgmp-dev"])]
        ),
        // Row kernels on F16C/AVX, chosen at run time (portable Swift is the fallback).
        .target(name: "CNativeKernels"),
        .target(
            name: "Precision",
            dependencies: [
                "CMPFR", "CNativeKernels",
                .product(name: "RealModule", package: "swift-numerics"),
            ]
        ),
        .target(name: "AD", dependencies: ["Precision"]),
        // The analysis: replay, certified reference, site classes, results (no file formats).
        .target(name: "Analyzer", dependencies: ["AD", "Precision"]),
        // Model files and tensor files: model.json, safetensors, .npy/.npz, data files.
        .target(name: "ModelIO", dependencies: ["AD", "Precision", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
        // The reports: Markdown, JSON, SVG figures, the bundle on disk, saved gradients.
        .target(name: "Reports", dependencies: ["Analyzer", "ModelIO"]),
        // The library door: every module re-exported, and the analysis of a model file.
        .target(name: "BPCheck", dependencies: ["Precision", "AD", "Analyzer", "ModelIO", "Reports"]),
        .executableTarget(
            name: "bpcheck",
            dependencies: [
                "BPCheck",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The seeded workloads of performance.md (W1, W2), for the benchmark and the tests.
        .target(name: "Workloads", dependencies: ["AD", "Analyzer"]),
        // Release-mode micro-benchmarks: `make bench`. Never part of the tests.
        .executableTarget(name: "BPCheckBench", dependencies: ["Precision", "AD", "Analyzer", "Workloads"], exclude: ["jax_peer.py"]),
        // Helpers shared by the test targets (seeded randomness).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "PrecisionTests", dependencies: ["Precision", "CMPFR", "TestSupport"]),
        .testTarget(name: "ADTests", dependencies: ["AD", "Precision", "TestSupport"]),
        .testTarget(name: "AnalyzerTests", dependencies: ["Analyzer", "BPCheck", "TestSupport", "Workloads"], exclude: ["Fixtures"]),
        .testTarget(name: "ModelIOTests", dependencies: ["ModelIO", "TestSupport"], exclude: ["Fixtures", "Corpus"]),
        .testTarget(name: "CLITests", dependencies: ["bpcheck", "Precision"], exclude: ["Fixtures"]),
    ]
)
