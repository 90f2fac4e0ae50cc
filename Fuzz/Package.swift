// swift-tools-version:6.0
import PackageDescription

// Coverage-guided fuzzers for StructuredML's file readers and command-line parser.
//
// Each executable defines `LLVMFuzzerTestOneInput` and is linked with libFuzzer, which supplies `main`.
// Build and run them with `scripts/fuzz.sh`, which instruments the Swift and C code for coverage and
// AddressSanitizer (`-sanitize=fuzzer,address`).

let fuzzers = ["FuzzNPY", "FuzzSafetensors", "FuzzMonarchFactors", "FuzzArguments", "FuzzRunConfiguration", "FuzzPEFTAdapter"]

let package = Package(
  name: "StructuredMLFuzz",
  // The main package through a link named after it, so its identity does not depend on the checkout's folder name.
  dependencies: [.package(path: "StructuredML")],
  targets: [
    .target(
      name: "FuzzSupport",
      dependencies: [
        .product(name: "TensorFiles", package: "structuredml"),
        .product(name: "Monarch", package: "structuredml"),
        .product(name: "StructuredMLCLI", package: "structuredml"),
        .product(name: "NN", package: "structuredml"),
      ])
  ]
    + fuzzers.map { name in
      .executableTarget(
        name: name, dependencies: ["FuzzSupport"],
        // libFuzzer provides `main`; the harness is a library-style file with no top-level code.
        swiftSettings: [.unsafeFlags(["-parse-as-library"])])
    }
)
