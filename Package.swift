// swift-tools-version:6.0
// medaug: synthetic biomedical images (pix2pix GAN) and classic augmentation.
// Layout follows swift-numerics: public products, implementation targets, tests.
import PackageDescription

let package = Package(
    name: "medaug",
    products: [
        // MARK: - Public API
        .library(name: "MedaugEngine", targets: ["MedaugEngine"]),
        .library(name: "MedaugModels", targets: ["MedaugModels"]),
        .library(name: "MedaugImaging", targets: ["MedaugImaging"]),
        .library(name: "MedaugMetrics", targets: ["MedaugMetrics"]),
        .executable(name: "medaug", targets: ["MedaugCLI"]),
        // Fuzz targets: libFuzzer entry under scripts/fuzz, a replayer otherwise.
        .executable(name: "medaug-fuzz", targets: ["MedaugFuzz"]),
        // The C ABI (include/medaug.h), installed as libmedaug.so. The product
        // cannot be named "medaug": SwiftPM keys products by name, and a second
        // product "medaug" silently replaces the executable above. The soname
        // is libmedaug.so.0 (major version 0), so programs record that name;
        // scripts/install lays out libmedaug.so.X.Y.Z and its links.
        .library(name: "MedaugC", type: .dynamic, targets: ["MedaugC"]),
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
        .systemLibrary(
            name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"])]),
        // nifticlib (libnifti2-dev): no pkg-config file, so a header-only C
        // target whose public folder makes its headers resolve (CNIfTI.h).
        .target(
            name: "CNIfTI",
            linkerSettings: [.linkedLibrary("niftiio"), .linkedLibrary("znz"), .linkedLibrary("z")]),
        // DICOM through GDCM (libgdcm-dev): a C interface over its C++ API.
        // GDCM rather than DCMTK because Debian's GDCM decodes JPEG 2000
        // (OpenJPEG) and JPEG-LS (CharLS) as well as JPEG and RLE; free
        // DCMTK has no JPEG 2000. No pkg-config file: the libraries are named
        // here, and dicom_reader.cpp includes <gdcm-3.0/…> (GDCM's headers
        // include each other with quotes, so no include flag is needed).
        .target(
            name: "CDICOM",
            linkerSettings: [.linkedLibrary("gdcmMSFF"), .linkedLibrary("gdcmDICT"), .linkedLibrary("gdcmDSED"),
                             .linkedLibrary("gdcmCommon")]),

        // MARK: - Implementation
        // The bottom: random numbers, threads, the CPU tier. Imports nothing
        // of medaug. The CPU-features unit is C (the micro-kernels dispatch on
        // it) with its Swift face (CPUTier) beside it in one folder.
        .target(name: "MedaugCPU", path: "Sources/MedaugSupport/CPU"),
        .target(name: "MedaugSupport", dependencies: ["MedaugCPU"], exclude: ["CPU"]),
        // SIMD micro-kernels in C, run-time dispatch on the CPU tier (Swift
        // cannot target an instruction set per function).
        .target(name: "MedaugMicroKernels", dependencies: ["MedaugCPU"]),
        // Numeric kernels: GEMM wrapper, im2col/col2im, fused epilogues, pooling.
        .target(name: "MedaugKernels", dependencies: ["COpenBLAS", "MedaugMicroKernels", "MedaugSupport"]),
        // Network configurations, safetensors weights, tensor naming scheme.
        .target(name: "MedaugModels", dependencies: ["MedaugSupport"]),
        // Inference graph, optimisation passes, arena planner, sessions.
        .target(name: "MedaugEngine", dependencies: ["MedaugModels", "MedaugKernels", "MedaugSupport"]),
        // Image and volume files (TIFF, NIfTI, DICOM, PNG pictures), slice
        // preparation, dataset folders, classic augmentation of image + mask pairs.
        .target(name: "MedaugImaging", dependencies: ["CTIFF", "CNIfTI", "CPNG", "CDICOM", "MedaugSupport", "MedaugMicroKernels", "MedaugModels"]),
        // Segmentation metrics: confusion matrix, accuracy, IoU, Dice, HD95.
        .target(name: "MedaugMetrics"),
        // Training: layers with backward passes, losses, Adam, the pix2pix and
        // segmenter recipes; writes weights the engine loads.
        .target(name: "MedaugTrainer", dependencies: ["MedaugModels", "MedaugKernels", "MedaugSupport", "MedaugImaging", "MedaugMetrics"]),
        // Growing a training set: label-space edits, generator rendering,
        // classic augmentation, dataset folders in and out.
        .target(name: "MedaugExpansion", dependencies: ["MedaugEngine", "MedaugModels", "MedaugImaging"]),
        // Whole volumes through a segmenter: cut as the model's slices were
        // prepared, segment, put the results back on the source grid.
        .target(name: "MedaugVolumes", dependencies: ["MedaugEngine", "MedaugModels", "MedaugImaging"]),
        // The paper's experiment: simulated lesions on MNI anatomy, GAN,
        // expansion, segmenter arms, quality gate, report folder.
        .target(name: "MedaugExperiment",
                dependencies: ["MedaugEngine", "MedaugModels", "MedaugImaging", "MedaugMetrics", "MedaugTrainer",
                               "MedaugExpansion", "MedaugReports"]),
        // What people look at: PNG sample grids and SVG training curves.
        .target(name: "MedaugReports", dependencies: ["MedaugImaging"]),
        // The C ABI: `@_cdecl` functions that validate, convert and call the
        // Swift API; no algorithms. Only `medaug_*` symbols are exported (the
        // version script; SwiftPM runs the linker in the package root, so the
        // relative path works for this root package). Unsafe flags are only
        // allowed in root packages, which is how this library is built.
        .target(
            name: "MedaugC", dependencies: ["MedaugEngine", "MedaugModels", "MedaugImaging", "MedaugMetrics", "MedaugExpansion", "MedaugVolumes", "MedaugSupport"],
            exclude: ["exports.map"],
            linkerSettings: [.unsafeFlags([
                "-Xlinker", "--version-script=Sources/MedaugC/exports.map",
                "-Xlinker", "-soname=libmedaug.so.0",
            ])]),
        // The `medaug` command-line tool.
        .executableTarget(
            name: "MedaugCLI",
            dependencies: [
                "MedaugEngine", "MedaugModels", "MedaugImaging", "MedaugMetrics", "MedaugTrainer", "MedaugReports", "MedaugExpansion", "MedaugExperiment",
                "MedaugVolumes", "MedaugKernels", "MedaugSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // Hostile-input targets for libFuzzer (scripts/fuzz) and their replayer.
        .executableTarget(
            name: "MedaugFuzz",
            dependencies: ["MedaugC", "MedaugEngine", "MedaugModels", "MedaugImaging"]),

        // MARK: - Unit tests (one bundle per target)
        // Helpers shared by the test bundles: naive references, test
        // randomness, the tolerance measure, the CPU-tier matrix.
        .target(name: "MedaugTestSupport", dependencies: ["MedaugKernels", "MedaugSupport"], path: "Tests/MedaugTestSupport"),
        .testTarget(name: "MedaugSupportTests", dependencies: ["MedaugSupport"]),
        .testTarget(name: "MedaugKernelsTests", dependencies: ["MedaugKernels", "MedaugSupport", "MedaugTestSupport"]),
        .testTarget(name: "MedaugModelsTests", dependencies: ["MedaugModels"]),
        .testTarget(name: "MedaugEngineTests", dependencies: ["MedaugEngine", "MedaugModels", "MedaugSupport", "MedaugTestSupport"]),
        .testTarget(name: "MedaugImagingTests", dependencies: ["MedaugImaging", "MedaugSupport", "MedaugTestSupport"]),
        .testTarget(name: "MedaugExpansionTests", dependencies: ["MedaugExpansion", "MedaugEngine", "MedaugModels", "MedaugImaging"]),
        .testTarget(name: "MedaugVolumesTests", dependencies: ["MedaugVolumes", "MedaugEngine", "MedaugModels", "MedaugImaging"]),
        .testTarget(name: "MedaugExperimentTests", dependencies: ["MedaugExperiment", "MedaugImaging", "MedaugExpansion"]),
        .testTarget(name: "MedaugReportsTests", dependencies: ["MedaugReports", "MedaugImaging"]),
        .testTarget(name: "MedaugMetricsTests", dependencies: ["MedaugMetrics"]),
        .testTarget(name: "MedaugTrainerTests", dependencies: ["MedaugTrainer", "MedaugModels", "MedaugEngine", "MedaugImaging",
                                                           "MedaugTestSupport"]),
        // dlopen()s the built libMedaugC.so and calls it through C function
        // pointers; links the Swift API only to compare results and write models.
        .testTarget(name: "MedaugCTests", dependencies: ["MedaugEngine", "MedaugModels", "MedaugImaging", "MedaugMetrics", "MedaugExpansion", "MedaugSupport"]),
    ],
    // The code uses Swift 6 (typed throws, Synchronization) in the Swift 5
    // language mode: strict concurrency checking is not taken on yet.
    swiftLanguageModes: [.v5]
)
