/** Wall-clock milliseconds with sub-millisecond precision (the send time written into message bodies). */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}
