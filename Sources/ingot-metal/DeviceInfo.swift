// `ingot-metal info`: what the default Metal device offers the engine.
import ArgumentParser
import Metal

struct DeviceInfo: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "info", abstract: "Show the Metal device and the limits the engine relies on.")

  func run() throws {
    guard let device = MTLCreateSystemDefaultDevice() else { throw ValidationError("no Metal device on this machine") }
    let families: [(String, MTLGPUFamily)] = [("apple7", .apple7), ("apple8", .apple8), ("apple9", .apple9)]
    print("device                   \(device.name)")
    print("GPU families             \(families.filter { device.supportsFamily($0.1) }.map(\.0).joined(separator: ", "))")
    print("unified memory           \(device.hasUnifiedMemory)")
    print("recommended working set  \(device.recommendedMaxWorkingSetSize >> 20) MiB")
    print("max buffer length        \(device.maxBufferLength >> 20) MiB")
    print("threadgroup memory       \(device.maxThreadgroupMemoryLength) bytes")
    print("threads per threadgroup  \(device.maxThreadsPerThreadgroup.width)")
    print("simdgroup_matrix         \(device.supportsFamily(.apple7) ? "yes" : "no (the engine needs apple7)")")
  }
}
