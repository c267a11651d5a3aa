// swift-tools-version:6.0
// A separate package that uses medaug as a versioned dependency, as a Swift
// tool wrapping medaug would. `test` (beside this file) builds it against a
// tagged clone of this repository through a SwiftPM mirror of the URL below.
import PackageDescription

let package = Package(
    name: "swift-wrapper",
    dependencies: [
        .package(url: "https://github.com/medaug/medaug", from: "0.3.0"),
    ],
    targets: [
        .executableTarget(
            name: "generate-one",
            dependencies: [
                .product(name: "MedaugEngine", package: "medaug"),
                .product(name: "MedaugImaging", package: "medaug"),
            ]),
    ],
    swiftLanguageModes: [.v5]
)
