import { Deque } from './deque';

describe('Deque', () => {
  test('keeps FIFO order across growth and wrap-around', () => {
    const d = new Deque<number>();
    const model: number[] = [];
    let next = 0;
    // A deterministic mix of operations, checked against an array model.
    for (let step = 0; step < 5000; step++) {
      const op = (step * 7919) % 5;
      if (op < 2) {
        d.push(next);
        model.push(next++);
      } else if (op === 2) {
        d.unshift(next);
        model.unshift(next++);
      } else if (op === 3) {
        expect(d.shift()).toBe(model.shift());
      } else {
        expect(d.pop()).toBe(model.pop());
      }
      expect(d.length).toBe(model.length);
      expect(d.peek()).toBe(model[0]);
    }
    expect(d.toArray()).toEqual(model);
  });

  test('at, reset and drainAll', () => {
    const d = new Deque<string>();
    d.reset(['a', 'b', 'c']);
    expect(d.at(1)).toBe('b');
    expect(d.at(3)).toBeUndefined();
    expect(d.drainAll()).toEqual(['a', 'b', 'c']);
    expect(d.length).toBe(0);
    expect(d.shift()).toBeUndefined();
  });
});
