// Progress of exercises graded concurrently, kept readable: each exercise's lines come out
// together and in the exercises' order. The first unfinished exercise's lines stream as they
// come; the others' wait (in memory) until every exercise before them is done.
import type { Progress } from './context';

type Line = { kind: 'info' | 'output'; text: string };

export interface ExerciseProgress {
  /** The Progress to give exercise `index`. */
  progressFor(index: number): Progress;
  /** Exercise `index` is done: its lines, and those of the next finished ones, go out. */
  finish(index: number): void;
}

export function orderedProgress(sink: Progress, count: number): ExerciseProgress {
  const held: Line[][] = Array.from({ length: count }, () => []);
  const finished = new Array<boolean>(count).fill(false);
  let streaming = 0;
  const emit = (line: Line): void => (line.kind === 'info' ? sink.info(line.text) : sink.output(line.text));
  const push = (index: number, line: Line): void => {
    if (index === streaming) emit(line);
    else held[index]?.push(line);
  };
  return {
    progressFor: (index) => ({
      info: (text) => push(index, { kind: 'info', text }),
      output: (text) => push(index, { kind: 'output', text }),
    }),
    finish(index) {
      finished[index] = true;
      while (streaming < count && finished[streaming]) {
        streaming += 1;
        const next = held[streaming];
        if (next === undefined) break;
        for (const line of next.splice(0)) emit(line);
      }
    },
  };
}
