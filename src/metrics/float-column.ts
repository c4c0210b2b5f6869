/**
 * A growable Float64Array: 8 bytes a value, where a record costs kilobytes. What the streaming
 * accumulators keep of each request when a figure needs every value (a window known only at the
 * end, an exact median).
 */
export class FloatColumn {
  private values = new Float64Array(1024);
  length = 0;

  push(value: number): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = value;
  }

  at(index: number): number {
    return this.values[index]!;
  }

  /** A sorted copy (ascending), for nearest-rank quantiles. */
  sorted(): Float64Array {
    return this.values.slice(0, this.length).sort();
  }
}
