// ingot-metal — the Metal engine's command-line tool (macOS only): device information, a metallib
// build of shaders/, and kernel microbenchmarks through the same C ABI that bun:ffi uses.
import ArgumentParser

@main
struct IngotMetalTool: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ingot-metal",
    abstract: "Device information, metallib builds and kernel microbenchmarks for ingot's Metal engine.",
    subcommands: [DeviceInfo.self, BuildMetallib.self, KernelBench.self]
  )
}
