// Library.swift — the shader library: a .metallib built by xcrun, or the shaders/ directory compiled
// from source at device open. Source compilation has no file system, so local `#include "x.h"` lines
// are inlined here (each header once; the headers carry include guards).
import Foundation
import Metal

public enum ShaderLibrary {
  static func load(device: MTLDevice, path: String) throws -> MTLLibrary {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw EngineError.notFound("shader library \(path) does not exist")
    }
    if !isDirectory.boolValue {
      do { return try device.makeLibrary(URL: URL(fileURLWithPath: path)) } catch {
        throw EngineError.compile("cannot load \(path): \(error.localizedDescription)")
      }
    }
    let source = try combinedSource(directory: path)
    let options = MTLCompileOptions()
    options.languageVersion = .version3_1
    options.fastMathEnabled = true
    do { return try device.makeLibrary(source: source, options: options) } catch {
      throw EngineError.compile("compiling the shaders in \(path): \(error.localizedDescription)")
    }
  }

  /// Every .metal file of the directory with its local includes inlined, as one translation unit.
  public static func combinedSource(directory: String) throws -> String {
    let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".metal") }.sorted()
    var included = Set<String>()
    return try files.map { try expand(file: $0, directory: directory, included: &included) }.joined(separator: "\n")
  }

  private static func expand(file: String, directory: String, included: inout Set<String>) throws -> String {
    let url = URL(fileURLWithPath: directory).appendingPathComponent(file)
    guard let text = try? String(contentsOf: url, encoding: .utf8) else { throw EngineError.io("cannot read \(url.path)") }
    var lines: [String] = []
    for line in text.components(separatedBy: "\n") {
      let trimmed = line.trimmingCharacters(in: .whitespaces)
      if trimmed.hasPrefix("#include \""), let name = trimmed.split(separator: "\"").dropFirst().first.map(String.init) {
        if included.insert(name).inserted { lines.append(try expand(file: name, directory: directory, included: &included)) }
      } else {
        lines.append(line)
      }
    }
    return lines.joined(separator: "\n")
  }
}
