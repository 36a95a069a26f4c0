// Errors.swift — how failures cross the C ABI: every exported call runs inside `guarded`, which turns
// a thrown EngineError (or any Swift error) into an ingot_metal.h status code and keeps its text for
// ingot_metal_last_error. No Swift error, exception or fatalError leaves this module.
import Foundation

enum EngineError: Error {
  case invalid(String)
  case noMemory(String)
  case notFound(String)
  case compile(String)
  case execution(String)
  case unsupported(String)
  case io(String)

  /// The INGOT_METAL_E_* code of the header.
  var code: Int32 {
    switch self {
    case .invalid: return -1
    case .noMemory: return -2
    case .notFound: return -3
    case .compile: return -4
    case .execution: return -5
    case .unsupported: return -6
    case .io: return -7
    }
  }

  var message: String {
    switch self {
    case .invalid(let m), .noMemory(let m), .notFound(let m), .compile(let m), .execution(let m), .unsupported(let m), .io(let m):
      return m
    }
  }
}

/// A C string owned by the calling thread until its next error.
private final class ThreadErrorText {
  let pointer: UnsafeMutablePointer<CChar>
  init(_ text: String) { pointer = strdup(text) }
  deinit { free(pointer) }
}

enum LastError {
  private static let key = "ingot.metal.lastError"
  private static let empty = ThreadErrorText("")

  static func set(_ text: String) {
    Thread.current.threadDictionary[key] = ThreadErrorText(text)
  }

  static var pointer: UnsafePointer<CChar> {
    let stored = Thread.current.threadDictionary[key] as? ThreadErrorText
    return UnsafePointer((stored ?? empty).pointer)
  }
}

/// Runs `body` in an autorelease pool (callers are foreign threads) and maps errors to status codes.
func guarded(_ body: () throws -> Void) -> Int32 {
  do {
    try autoreleasepool { try body() }
    return 0
  } catch let error as EngineError {
    LastError.set(error.message)
    return error.code
  } catch {
    LastError.set("\(error)")
    return EngineError.execution("").code
  }
}
