// Runs only test/kernel/netns.inner.ts, which test/kernel/netns.test.ts starts inside the network
// namespace it created (`ip netns exec NS node vitest.mjs run --config this-file`).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/kernel/netns.inner.ts"],
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
