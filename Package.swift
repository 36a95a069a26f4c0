// swift-tools-version:5.9
// The native engines as Swift packages: the C CPU engine (Sources/IngotCPU), the Metal engine's C ABI
// (Sources/IngotMetalABI), the Swift Metal engine built as a dynamic library that bun:ffi loads
// (`swift build -c release --product IngotMetal`), and the ingot-metal command-line tool.
import PackageDescription

let package = Package(
  name: "ingot",
  platforms: [.macOS(.v14)],
  products: [
    .library(name: "IngotMetal", type: .dynamic, targets: ["IngotMetal"]),
    .library(name: "IngotCPU", type: .dynamic, targets: ["IngotCPU"]),
    .executable(name: "ingot-metal", targets: ["ingot-metal"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.3.0"),
  ],
  targets: [
    .target(
      name: "IngotCPU",
      path: "Sources/IngotCPU",
      publicHeadersPath: "include",
      cSettings: [.define("_GNU_SOURCE")],
      linkerSettings: [.linkedLibrary("m")]
    ),
    .target(name: "IngotMetalABI", path: "Sources/IngotMetalABI", publicHeadersPath: "include"),
    .target(
      name: "IngotMetal",
      dependencies: ["IngotMetalABI"],
      path: "Sources/IngotMetal",
      exclude: ["README.md"],
      linkerSettings: [.linkedFramework("Metal"), .linkedFramework("Foundation")]
    ),
    .executableTarget(
      name: "ingot-metal",
      dependencies: ["IngotMetal", "IngotMetalABI", .product(name: "ArgumentParser", package: "swift-argument-parser")],
      path: "Sources/ingot-metal"
    ),
  ]
)
