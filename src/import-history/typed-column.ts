/** Numbers kept per source event while planning an import: typed arrays that grow, never one object per event. */
export class Column<T extends Float64Array | Int32Array | Uint32Array | Uint16Array | Uint8Array> {
  private data: T;
  length = 0;
  constructor(private readonly make: (n: number) => T) {
    this.data = make(1024);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = this.make(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }
  get(i: number): number {
    return this.data[i]!;
  }
  set(i: number, v: number): void {
    this.data[i] = v;
  }
  /** The values so far, as a typed array of their own (to hand to another thread). */
  values(): T {
    return this.data.slice(0, this.length) as T;
  }
}
