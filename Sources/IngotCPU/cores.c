/*
 * cores.c — how many worker threads an engine gets by default: the physical cores (the performance
 * cores on Apple Silicon). A second hardware thread of a core shares its vector units, and the
 * matmul kernels keep those busy, so SMT siblings add contention rather than throughput.
 */
#include <stdio.h>
#include <unistd.h>

#include "ingot_cpu.h"

#if defined(__APPLE__)
#include <sys/sysctl.h>
#include <sys/types.h>

static int sysctl_int(const char *name) {
  int value = 0;
  size_t size = sizeof value;
  return sysctlbyname(name, &value, &size, NULL, 0) == 0 ? value : 0;
}

static int physical_cores(void) {
  const int performance = sysctl_int("hw.perflevel0.physicalcpu");
  return performance > 0 ? performance : sysctl_int("hw.physicalcpu");
}
#elif defined(__linux__)
/* One more distinct (package, core) pair: the sysfs topology of each CPU that has one. */
static int read_topology(int cpu, const char *what) {
  char path[128];
  snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/topology/%s", cpu, what);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  int value = -1;
  if (fscanf(f, "%d", &value) != 1) value = -1;
  fclose(f);
  return value;
}

static int physical_cores(void) {
  enum { MAX_CPUS = 4096 };
  static long seen[MAX_CPUS];
  int count = 0;
  for (int cpu = 0; cpu < MAX_CPUS; cpu++) {
    const int core = read_topology(cpu, "core_id"), package = read_topology(cpu, "physical_package_id");
    if (core < 0 || package < 0) continue; /* offline or absent */
    const long key = (long)package * 1000000L + core;
    int known = 0;
    for (int i = 0; i < count && !known; i++) known = seen[i] == key;
    if (!known) seen[count++] = key;
  }
  return count;
}
#else
static int physical_cores(void) { return 0; }
#endif

int ingot_cpu_default_threads(void) {
  const int physical = physical_cores();
  if (physical > 0) return physical;
  const long online = sysconf(_SC_NPROCESSORS_ONLN);
  return online > 0 ? (int)online : 1;
}
