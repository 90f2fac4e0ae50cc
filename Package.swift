// swift-tools-version:6.0
import PackageDescription

// MARK: - Platform back ends

/// On Linux the numeric kernels call OpenBLAS, LAPACKE and FFTW through system-library shims;
/// on Apple platforms the same Swift API sits on Accelerate.
let linuxOnly: TargetDependencyCondition? = .when(platforms: [.linux])

let package = Package(
  name: "StructuredML",
  platforms: [.macOS("13.3"), .iOS("16.4")],
  products: [
    .library(name: "StructuredML", targets: ["StructuredML"]),
    .library(name: "TensorCore", targets: ["TensorCore"]),
    .library(name: "TensorFiles", targets: ["TensorFiles"]),
    .library(name: "Monarch", targets: ["Monarch"]),
    .library(name: "StateSpaces", targets: ["StateSpaces"]),
    .library(name: "ProbabilityMaps", targets: ["ProbabilityMaps"]),
    .library(name: "NN", targets: ["NN"]),
    .library(name: "Pretrained", targets: ["Pretrained"]),
    .library(name: "Distributed", targets: ["Distributed"]),
    .library(name: "StructuredMLCLI", targets: ["StructuredMLCLI"]),
    .executable(name: "structml", targets: ["structml"]),
  ],
  targets: [
    // MARK: - C shims (no logic: a module map and a header)
    .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
    .systemLibrary(name: "CLAPACKE", pkgConfig: "lapacke", providers: [.apt(["liblapacke-dev"])]),
    .systemLibrary(name: "CFFTW", pkgConfig: "fftw3", providers: [.apt(["libfftw3-dev"])]),
    .target(name: "CKernels"),
    .target(name: "CTemporaryFiles"),

    // MARK: - Numeric core and files
    .target(
      name: "TensorCore",
      dependencies: [
        .target(name: "CBLAS", condition: linuxOnly),
        .target(name: "CLAPACKE", condition: linuxOnly),
        .target(name: "CFFTW", condition: linuxOnly),
      ],
      cSettings: [.define("ACCELERATE_NEW_LAPACK", .when(platforms: [.macOS, .iOS]))],
      linkerSettings: [
        .linkedLibrary("m", .when(platforms: [.linux])),
        .linkedFramework("Accelerate", .when(platforms: [.macOS, .iOS])),
      ]),
    .target(name: "TensorFiles", dependencies: ["TensorCore", "CTemporaryFiles"]),

    // MARK: - Capabilities
    .target(name: "Monarch", dependencies: ["TensorCore", "TensorFiles", "CKernels"]),
    .target(name: "StateSpaces", dependencies: ["TensorCore", "CKernels"]),
    .target(name: "ProbabilityMaps", dependencies: ["TensorCore", "CKernels"]),
    .target(
      name: "NN", dependencies: ["TensorCore", "TensorFiles", "Monarch", "ProbabilityMaps", "StateSpaces", "CKernels"]),
    .target(name: "Pretrained", dependencies: ["TensorCore", "TensorFiles", "Monarch", "NN"]),
    .target(name: "Distributed"),

    // MARK: - Umbrella and command line
    .target(
      name: "StructuredML",
      dependencies: [
        "TensorCore", "TensorFiles", "Monarch", "StateSpaces", "ProbabilityMaps", "NN", "Pretrained", "Distributed",
      ]),
    .target(
      name: "StructuredMLCLI",
      dependencies: ["StructuredML", "CKernels", .target(name: "CBLAS", condition: linuxOnly)]),
    .executableTarget(name: "structml", dependencies: ["StructuredMLCLI"]),

    // MARK: - Tests
    .target(name: "TestSupport", dependencies: ["TensorCore"], path: "Tests/TestSupport"),
    .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "TestSupport"]),
    .testTarget(
      name: "TensorFilesTests", dependencies: ["TensorFiles", "TestSupport"],
      resources: [.copy("Fixtures")]),
    .testTarget(
      name: "MonarchTests", dependencies: ["Monarch", "TensorFiles", "TestSupport"],
      resources: [.copy("Fixtures")]),
    .testTarget(
      name: "StateSpacesTests", dependencies: ["StateSpaces", "TensorFiles", "TestSupport"],
      resources: [.copy("Fixtures")]),
    .testTarget(
      name: "ProbabilityMapsTests", dependencies: ["ProbabilityMaps", "TensorFiles", "TestSupport"],
      resources: [.copy("Fixtures")]),
    .testTarget(
      name: "NNTests", dependencies: ["NN", "Monarch", "TensorFiles", "TestSupport"], resources: [.copy("Fixtures")]),
    .testTarget(
      name: "PretrainedTests", dependencies: ["Pretrained", "NN", "TensorFiles", "TestSupport"],
      resources: [.copy("Fixtures")]),
    .testTarget(name: "DistributedTests", dependencies: ["Distributed", "TestSupport"]),
    .testTarget(name: "StructuredMLCLITests", dependencies: ["StructuredMLCLI", "NN", "TensorFiles", "TestSupport"]),
  ]
)
