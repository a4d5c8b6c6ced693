// deno-std's assertions (the npm package `deno-std` ships JavaScript without types), typed for
// the Deno tests.
import { assert as a } from "deno-std/assert/assert.js";
import { assertEquals as eq } from "deno-std/assert/equals.js";
import { assertMatch as m } from "deno-std/assert/match.js";
import { assertStringIncludes as inc } from "deno-std/assert/string_includes.js";

type Fn = (...args: unknown[]) => void;
export function assert(expr: unknown, msg?: string): asserts expr {
  (a as Fn)(expr, msg);
}
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  (eq as Fn)(actual, expected, msg);
}
export function assertMatch(actual: string, expected: RegExp, msg?: string): void {
  (m as Fn)(actual, expected, msg);
}
export function assertStringIncludes(actual: string, expected: string, msg?: string): void {
  (inc as Fn)(actual, expected, msg);
}
