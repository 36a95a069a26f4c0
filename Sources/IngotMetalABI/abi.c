/* SwiftPM needs a source file in a C target; the target exists to export include/ingot_metal.h to
 * the Swift engine (Sources/IngotMetal), which implements every function it declares. */
#include "ingot_metal.h"

typedef int ingot_metal_abi_header_only;
