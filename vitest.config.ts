import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/unit/**/*.test.ts", "tests/kernel-host/**/*.test.ts", "tests/conformance/**/*.test.ts", "tests/boot/**/*.test.ts", "tests/crash/**/*.test.ts"],
    // Boot tests run the kernel under TCG emulation on this team's machines: tens of seconds each.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // QEMU and mke2fs are heavy; two cores, so at most two test files at once.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
