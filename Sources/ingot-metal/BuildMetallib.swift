// `ingot-metal metallib`: compiles shaders/ ahead of time with xcrun (metal, then metallib) into the
// library the engine loads instead of compiling the sources at device open.
import ArgumentParser
import Foundation
import IngotMetal

struct BuildMetallib: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "metallib", abstract: "Build build/ingot.metallib from shaders/ with xcrun.")

  @Option(help: "Directory of .metal sources.") var shaders = "shaders"
  @Option(help: "Output metallib.") var out = "build/ingot.metallib"

  func run() throws {
    let source = try ShaderLibrary.combinedSource(directory: shaders)
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("ingot-metallib-\(getpid())")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: work) }
    let combined = work.appendingPathComponent("ingot.metal"), air = work.appendingPathComponent("ingot.air")
    try source.write(to: combined, atomically: true, encoding: .utf8)
    try xcrun(["-sdk", "macosx", "metal", "-std=metal3.1", "-O2", "-c", combined.path, "-o", air.path])
    try FileManager.default.createDirectory(atPath: (out as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try xcrun(["-sdk", "macosx", "metallib", air.path, "-o", out])
    print("wrote \(out)")
  }

  private func xcrun(_ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/xcrun")
    process.arguments = arguments
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw ValidationError("xcrun \(arguments.joined(separator: " ")) failed") }
  }
}
