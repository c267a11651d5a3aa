// swift-tools-version:5.9
// medaug: synthetic biomedical images (pix2pix GAN) and classic augmentation.
// Layout follows swift-numerics: public products, implementation targets, tests.
import PackageDescription

let package = Package(
    name: "medaug",
    products: [
        // MARK: - Public API
        .library(name: "MedaugEngine", targets: ["MedaugEngine"]),
        .library(name: "MedaugModels", targets: ["MedaugModels"]),
        .executable(name: "medaug", targets: ["MedaugCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // MARK: - System libraries (C, through pkg-config)
        .systemLibrary(
            name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CTIFF", path: "Sources/CTIFF", pkgConfig: "libtiff-4",
            providers: [.apt(["libtiff-dev"])]),

        // MARK: - Implementation
        // SIMD micro-kernels in C (AVX-512 with run-time dispatch; Swift cannot
        // target an instruction set per function).
        .target(name: "MedaugMicroKernels"),
        // Numeric kernels: GEMM wrapper, im2col/col2im, fused epilogues, pooling.
        .target(name: "MedaugKernels", dependencies: ["COpenBLAS", "MedaugMicroKernels"]),
        // Network configurations, safetensors weights, tensor naming scheme.
        .target(name: "MedaugModels", dependencies: ["MedaugKernels"]),
        // Inference graph, optimisation passes, arena planner, sessions.
        .target(name: "MedaugEngine", dependencies: ["MedaugModels", "MedaugKernels"]),
        // The `medaug` command-line tool.
        .executableTarget(
            name: "MedaugCLI",
            dependencies: [
                "MedaugEngine", "MedaugModels",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // MARK: - Unit tests (one bundle per target)
        .testTarget(name: "MedaugKernelsTests", dependencies: ["MedaugKernels"]),
        .testTarget(name: "MedaugModelsTests", dependencies: ["MedaugModels"]),
        .testTarget(name: "MedaugEngineTests", dependencies: ["MedaugEngine", "MedaugModels"]),
    ]
)
